"""The incident log's HTML printed to PDF with WeasyPrint, without fetching anything.

The page names URLs of abusive content; the renderer must never load one. Every resource the
page needs is inline, so the URL fetcher refuses all requests.
"""

from __future__ import annotations

from typing import Any, NoReturn

from PIL import ImageFile

from monitor.errors import MonitorError


class ReportError(MonitorError):
    pass


def render_pdf(html: str) -> bytes:
    truncated_images = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        from weasyprint import HTML  # imported here: loading pango takes a moment
    except OSError as error:  # the shared libraries are missing
        raise ReportError(
            "PDF export needs Pango (Debian: apt install libpango-1.0-0 libpangoft2-1.0-0): "
            f"{error}"
        ) from None
    finally:
        # WeasyPrint turns on Pillow's process-wide "decode truncated images" when imported;
        # the fingerprinter must keep refusing a truncated download as broken.
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_images
    document = HTML(string=html, url_fetcher=_refuse_fetch, base_url=None)
    pdf: bytes = document.write_pdf()
    return pdf


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"the incident log never loads external resources ({url[:60]})")
