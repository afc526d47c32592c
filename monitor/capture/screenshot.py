"""A full-page screenshot in headless Chromium, stamped with the URL and the UTC time.

Chromium does its own networking, so every request it makes is checked first against the same
address rules as the fetcher (no private, loopback or metadata addresses unless allowed);
a page cannot use the browser to reach the monitor's own network. Downloads are refused.
The screenshot stays in memory: Playwright returns the PNG as bytes, and the stamped image is
encoded in memory too, to be sealed by the caller.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from PIL import Image, ImageDraw, ImageFont

from monitor.alerts.render import format_utc
from monitor.capture.settings import CaptureSettings
from monitor.errors import BlockedAddressError, MonitorError, UnsupportedUrlError
from monitor.fetch.addresses import check_address, check_url, parse_ip_host
from monitor.fetch.transport import resolve_with_system

if TYPE_CHECKING:
    from playwright.async_api import Request, Route, ViewportSize

CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",  # the monitor runs in its own unprivileged service or container
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
)
VIEWPORT: Final[ViewportSize] = {"width": 1280, "height": 900}
_BANNER_HEIGHT = 44


class CaptureError(MonitorError):
    pass


async def screenshot_page(
    url: str, *, settings: CaptureSettings, allow_private: bool, taken_at: datetime
) -> bytes:
    """PNG bytes of the page at `url` with a banner naming it and the UTC time."""
    try:
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import async_playwright
    except ImportError:
        raise CaptureError(
            "screenshots need Playwright: pip install 'reupload-monitor[captures]' "
            "(and Debian's chromium), or set [captures] screenshot = false"
        ) from None
    if not settings.chromium.is_file():
        raise CaptureError(
            f"no Chromium at {settings.chromium}: apt install chromium, or set [captures] "
            "chromium to its path"
        )
    timeout_ms = settings.timeout.total_seconds() * 1000
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(settings.chromium), args=list(CHROMIUM_ARGS)
            )
            try:
                context = await browser.new_context(
                    viewport=VIEWPORT, accept_downloads=False, service_workers="block"
                )
                await context.route("**/*", _guard(allow_private))
                page = await context.new_page()
                await page.goto(url, timeout=timeout_ms, wait_until="load")
                height = await page.evaluate("document.documentElement.scrollHeight")
                clip_height = max(VIEWPORT["height"], min(int(height), settings.max_height))
                png = await page.screenshot(
                    full_page=True,
                    timeout=timeout_ms,
                    clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": clip_height},
                )
            finally:
                await browser.close()
    except PlaywrightError as error:
        raise CaptureError(
            f"{url}: the browser could not capture the page: {_first_line(error)}"
        ) from None
    return _stamp(png, url=url, taken_at=taken_at)


def _guard(allow_private: bool) -> Callable[[Route, Request], Awaitable[None]]:
    async def check(route: Route, request: Request) -> None:
        try:
            await _check_request_url(request.url, allow_private=allow_private)
        except (BlockedAddressError, UnsupportedUrlError, OSError):
            await route.abort("blockedbyclient")
            return
        await route.continue_()

    return check


async def _check_request_url(url: str, *, allow_private: bool) -> None:
    scheme = urlsplit(url).scheme
    if scheme in ("data", "blob", "about"):
        return
    parsed = check_url(url, allow_private=allow_private)
    host = parsed.host
    if parse_ip_host(host) is not None:
        return  # check_url checked the literal address
    for address in await asyncio.wait_for(resolve_with_system(host, parsed.port or 443), 10):
        check_address(address, host=host, url=url, allow_private=allow_private)


def _stamp(png: bytes, *, url: str, taken_at: datetime) -> bytes:
    """The screenshot under a banner: "<url>  captured <UTC time> UTC"."""
    with Image.open(io.BytesIO(png)) as shot:
        shot.load()
        stamped = Image.new("RGB", (shot.width, shot.height + _BANNER_HEIGHT), "white")
        stamped.paste(shot.convert("RGB"), (0, _BANNER_HEIGHT))
    draw = ImageDraw.Draw(stamped)
    draw.rectangle((0, 0, stamped.width, _BANNER_HEIGHT - 1), fill=(245, 245, 245))
    draw.line((0, _BANNER_HEIGHT - 1, stamped.width, _BANNER_HEIGHT - 1), fill=(120, 120, 120))
    font = _font(15)
    shown_url = url if len(url) <= 140 else url[:137] + "..."
    draw.text((10, 4), shown_url, fill=(0, 0, 0), font=font)
    draw.text((10, 23), f"captured {format_utc(taken_at)} (UTC)", fill=(60, 60, 60), font=font)
    out = io.BytesIO()
    stamped.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
