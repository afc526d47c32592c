"""One re-check against a real loopback server: present, absent, or inconclusive, and why."""

from __future__ import annotations

import functools
import hashlib
import socket
from collections.abc import AsyncIterator, Sequence

import pytest

from monitor.demo.pictures import draw_picture, encode
from monitor.fetch.addresses import IPAddress
from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings
from monitor.fetch.transport import GuardedTransport
from monitor.fingerprint import MatchSettings, fingerprint_enrolled
from monitor.follow_up.check import Reference, SightingChecker
from tests.follow_up.conftest import Answer, ScriptedWeb

MAX_PIXELS = 80_000_000
SETTINGS = FetchSettings(
    allow_private_addresses=True,
    per_host_delay=0.0,
    per_host_concurrency=8,
    total_timeout=3.0,
    connect_timeout=1.0,
    max_image_bytes=2_000_000,
)


@functools.cache
def reference_for(picture: bytes) -> Reference:
    return Reference(
        client_id="k1",
        item_id=1,
        hashes=fingerprint_enrolled(picture, max_pixels=MAX_PIXELS),
        sha256s=frozenset({hashlib.sha256(picture).hexdigest()}),
    )


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(SETTINGS) as client:
        yield client


def checker_for(fetcher: Fetcher) -> SightingChecker:
    return SightingChecker(
        fetcher=fetcher, matching=MatchSettings(), max_pixels=MAX_PIXELS, page_images=4
    )


async def test_the_same_bytes_at_the_image_url_are_present(
    scripted_web: ScriptedWeb, fetcher: Fetcher, pictures: list[bytes]
) -> None:
    scripted_web.image("/i/1.jpg", pictures[0])
    result = await checker_for(fetcher).check(
        image_url=scripted_web.url("/i/1.jpg"),
        page_url=scripted_web.url("/t/1"),
        reference=reference_for(pictures[0]),
    )
    assert result.outcome == "present"
    assert result.image.status == 200
    assert result.page is None  # the page is not fetched when the image is still served
    assert "/t/1" not in scripted_web.requests


async def test_a_re_encoded_copy_still_matches_by_fingerprint(
    scripted_web: ScriptedWeb, fetcher: Fetcher, pictures: list[bytes]
) -> None:
    scripted_web.image("/i/1.jpg", encode(draw_picture(0), quality=60))
    result = await checker_for(fetcher).check(
        image_url=scripted_web.url("/i/1.jpg"),
        page_url=scripted_web.url("/t/1"),
        reference=reference_for(pictures[0]),
    )
    assert result.outcome == "present"


@pytest.mark.parametrize("status", [404, 410, 451])
async def test_gone_image_and_gone_page_are_absent(
    scripted_web: ScriptedWeb, fetcher: Fetcher, pictures: list[bytes], status: int
) -> None:
    scripted_web.status("/i/1.jpg", status)
    scripted_web.status("/t/1", status)
    result = await checker_for(fetcher).check(
        image_url=scripted_web.url("/i/1.jpg"),
        page_url=scripted_web.url("/t/1"),
        reference=reference_for(pictures[0]),
    )
    assert result.outcome == "absent"
    assert (result.image.status, result.page and result.page.status) == (status, status)
    assert result.detail == f"image: {status}; page: {status}"


async def test_an_image_replaced_by_another_picture_is_absent(
    scripted_web: ScriptedWeb, fetcher: Fetcher, pictures: list[bytes]
) -> None:
    scripted_web.image("/i/1.jpg", pictures[1])
    scripted_web.page("/t/1", "/i/1.jpg")
    result = await checker_for(fetcher).check(
        image_url=scripted_web.url("/i/1.jpg"),
        page_url=scripted_web.url("/t/1"),
        reference=reference_for(pictures[0]),
    )
    assert result.outcome == "absent"
    assert result.image.label == "replaced by another image"
    assert result.page is not None
    assert result.page.label == "still links the image URL"


async def test_html_where_the_image_was_is_absent(
    scripted_web: ScriptedWeb, fetcher: Fetcher, pictures: list[bytes]
) -> None:
    scripted_web.answers["/i/1.jpg"] = Answer(200, b"<html>removed</html>", "text/html")
    scripted_web.page("/t/1")
    result = await checker_for(fetcher).check(
        image_url=scripted_web.url("/i/1.jpg"),
        page_url=scripted_web.url("/t/1"),
        reference=reference_for(pictures[0]),
    )
    assert result.outcome == "absent"
    assert result.image.label == "no longer an image"
    assert result.page is not None
    assert result.page.label == "no longer shows it"


async def test_a_page_showing_the_picture_at_a_new_url_is_present(
    scripted_web: ScriptedWeb, fetcher: Fetcher, pictures: list[bytes]
) -> None:
    scripted_web.status("/i/1.jpg", 404)
    scripted_web.image("/i/other.jpg", pictures[1])
    scripted_web.image("/i/moved.jpg", pictures[0])
    scripted_web.page("/t/1", "/i/other.jpg", "/i/moved.jpg")
    result = await checker_for(fetcher).check(
        image_url=scripted_web.url("/i/1.jpg"),
        page_url=scripted_web.url("/t/1"),
        reference=reference_for(pictures[0]),
    )
    assert result.outcome == "present"
    assert result.page is not None
    assert result.page.label == f"shown at {scripted_web.url('/i/moved.jpg')}"


@pytest.mark.parametrize("status", [500, 502, 503, 429, 403])
async def test_server_errors_say_nothing(
    scripted_web: ScriptedWeb, fetcher: Fetcher, pictures: list[bytes], status: int
) -> None:
    scripted_web.status("/i/1.jpg", status)
    scripted_web.status("/t/1", 404)
    result = await checker_for(fetcher).check(
        image_url=scripted_web.url("/i/1.jpg"),
        page_url=scripted_web.url("/t/1"),
        reference=reference_for(pictures[0]),
    )
    assert result.outcome == "inconclusive"
    assert result.image.status == status


async def test_a_gone_image_with_a_page_that_errors_is_inconclusive(
    scripted_web: ScriptedWeb, fetcher: Fetcher, pictures: list[bytes]
) -> None:
    scripted_web.status("/i/1.jpg", 404)
    scripted_web.status("/t/1", 503)
    result = await checker_for(fetcher).check(
        image_url=scripted_web.url("/i/1.jpg"),
        page_url=scripted_web.url("/t/1"),
        reference=reference_for(pictures[0]),
    )
    assert result.outcome == "inconclusive"


async def test_a_stalled_server_is_inconclusive_and_does_not_hang(
    scripted_web: ScriptedWeb, fetcher: Fetcher, pictures: list[bytes]
) -> None:
    scripted_web.answers["/i/1.jpg"] = Answer(200, pictures[0], "image/jpeg", stall=30)
    result = await checker_for(fetcher).check(
        image_url=scripted_web.url("/i/1.jpg"),
        page_url=scripted_web.url("/i/1.jpg"),
        reference=reference_for(pictures[0]),
    )
    assert result.outcome == "inconclusive"
    assert "fetch.total_timeout" in result.image.label


async def test_an_image_too_large_to_fetch_is_inconclusive(
    scripted_web: ScriptedWeb, fetcher: Fetcher, pictures: list[bytes]
) -> None:
    scripted_web.answers["/i/1.jpg"] = Answer(200, b"\xff" * 3_000_000, "image/jpeg")
    result = await checker_for(fetcher).check(
        image_url=scripted_web.url("/i/1.jpg"),
        page_url=scripted_web.url("/i/1.jpg"),
        reference=reference_for(pictures[0]),
    )
    assert result.outcome == "inconclusive"


async def test_a_host_that_no_longer_exists_is_absent(pictures: list[bytes]) -> None:
    async def no_such_host(host: str, port: int) -> Sequence[IPAddress]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    transport = GuardedTransport(allow_private=True, resolver=no_such_host)
    async with Fetcher(SETTINGS, transport=transport) as fetcher:
        result = await checker_for(fetcher).check(
            image_url="http://gone.example/i/1.jpg",
            page_url="http://gone.example/t/1",
            reference=reference_for(pictures[0]),
        )
    assert result.outcome == "absent"
    assert result.detail == "image: host not found; page: host not found"
