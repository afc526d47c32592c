"""Video files a page embeds or links to are found; audio and images are not taken for videos."""

from __future__ import annotations

from monitor.fetch.extract import extract_page

PAGE = "https://tube.example/watch/1"


def _extract(body: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    found = extract_page(f"<html><body>{body}</body></html>".encode(), page_url=PAGE)
    return found.videos, found.images


def test_video_src_and_its_sources_are_videos_and_the_poster_an_image() -> None:
    videos, images = _extract(
        '<video src="/v/1.mp4" poster="/p/1.jpg">'
        '<source src="/v/1.webm" type="video/webm"><source src="/stream/1"></video>'
    )
    assert videos == (
        "https://tube.example/v/1.mp4",
        "https://tube.example/v/1.webm",
        "https://tube.example/stream/1",
    )
    assert images == ("https://tube.example/p/1.jpg",)


def test_links_to_video_files_and_og_video_are_videos() -> None:
    videos, images = _extract(
        '<meta property="og:video" content="https://cdn.example/a.mp4">'
        '<meta property="og:video:url" content="https://player.example/embed/7">'
        '<a href="/download/clip.MOV">download</a><a href="https://other.example/x.webm">x</a>'
    )
    assert videos == (
        "https://cdn.example/a.mp4",
        "https://tube.example/download/clip.MOV",
        "https://other.example/x.webm",
    )
    assert images == ()


def test_audio_sources_and_picture_sources_are_not_videos() -> None:
    videos, images = _extract(
        '<audio><source src="/a/song.ogg" type="audio/ogg"><source src="/a/song"></audio>'
        '<picture><source srcset="/i/1.webp" type="image/webp"><img src="/i/1.jpg"></picture>'
    )
    assert videos == ()
    assert images == ("https://tube.example/i/1.webp", "https://tube.example/i/1.jpg")


def test_hostile_video_urls_are_dropped() -> None:
    videos, _ = _extract(
        '<video src="javascript:alert(1)"></video><video src="data:video/mp4;base64,AAAA"></video>'
        '<video src="file:///etc/passwd"></video><video src="http://[broken"></video>'
        + '<video src="/v/%d.mp4"></video>'
        * 3
        % (1, 2, 3)
    )
    assert videos == tuple(f"https://tube.example/v/{n}.mp4" for n in (1, 2, 3))
