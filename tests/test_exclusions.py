"""Dismissed images and a client's own pages, end to end: the CLI against the loopback sample web.

Two clients enrolled the same picture. One dismisses a sighting as a false positive: the same
bytes at another URL and a re-encoded copy are not recorded or alerted for her again, but still
are for the other client; a real re-upload of her own picture still is. The other client's
allow-list keeps her own page and image URLs out of her sightings, not out of anyone else's.
"""

from __future__ import annotations

import io
import json

from PIL import Image, ImageEnhance

from monitor.demo.pictures import draw_picture, encode
from monitor.demo.server import AlertReceiver
from monitor.demo.site import Route
from tests.conftest import Cli, SampleWeb, loopback_config


def _jpeg(image: Image.Image, *, quality: int) -> bytes:
    return encode(image, quality=quality)


def _serve(web: SampleWeb, images: dict[str, bytes], pages: dict[str, list[str]]) -> None:
    for path, body in images.items():
        web.served.routes[path] = Route("image/jpeg", body)
    for path, shown in pages.items():
        tags = "".join(f'<img src="{image}">' for image in shown)
        web.served.routes[path] = Route("text/html", f"<html><body>{tags}</body></html>".encode())


def _sightings(cli: Cli) -> set[tuple[str, str, str]]:
    return {
        (
            s["client"],
            s["image_url"].rsplit("/", 2)[-2] + "/" + s["image_url"].rsplit("/", 1)[-1],
            s["status"],
        )
        for s in json.loads(cli("sightings", "--json").stdout)
    }


def test_dismissed_images_and_own_pages_are_not_recorded_for_that_client(
    cli: Cli,
    sample_web: SampleWeb,
    alert_receiver: AlertReceiver,
    second_alert_receiver: AlertReceiver,
) -> None:
    picture = draw_picture(0)
    # Not her picture but close to it: what a reviewer dismisses as a false positive.
    look_alike = _jpeg(ImageEnhance.Brightness(picture).enhance(1.25), quality=85)
    base = sample_web.site.base_url
    _serve(
        sample_web,
        {
            "/m/look-alike.jpg": look_alike,
            "/m/on-own-page.jpg": _jpeg(picture, quality=70),
            "/own/photo.jpg": _jpeg(picture, quality=80),
        },
        {
            "/board.html": ["/m/look-alike.jpg", "/own/photo.jpg"],
            "/own/index.html": ["/m/on-own-page.jpg"],
        },
    )
    inputs = cli.cwd.parent / "inputs"
    inputs.mkdir()
    (inputs / "photo.jpg").write_bytes(_jpeg(picture, quality=92))
    (cli.cwd / "monitor.toml").write_text(
        loopback_config(
            database=cli.cwd / "monitor.db",
            clients=f'[[clients]]\nid = "k2"\nallow = ["{base}/own/"]\n',
            sources=f"""
[[sources]]
name = "board"
kind = "pages"
urls = ["{base}/board.html", "{base}/own/index.html"]
depth = 0
""",
        )
    )
    for client_id, receiver in (("k1", alert_receiver), ("k2", second_alert_receiver)):
        cli("client", "add", client_id, "--notify", receiver.apprise_url)
        cli("enroll", "--client", client_id, str(inputs))

    cli("scan", "-v")
    assert _sightings(cli) == {
        ("k1", "m/look-alike.jpg", "new"),
        ("k1", "m/on-own-page.jpg", "new"),
        ("k1", "own/photo.jpg", "new"),
        ("k2", "m/look-alike.jpg", "new"),  # her own page and image are on her allow-list
    }
    assert [len(alert_receiver.messages), len(second_alert_receiver.messages)] == [1, 1]

    (look_alike_of_k1,) = [
        s["id"]
        for s in json.loads(cli("sightings", "--client", "k1", "--json").stdout)
        if s["image_url"].endswith("/m/look-alike.jpg")
    ]
    cli("sightings", "dismiss", str(look_alike_of_k1), "--note", "not her")

    re_encoded = _jpeg(Image.open(io.BytesIO(look_alike)).convert("RGB"), quality=50)
    _serve(
        sample_web,
        {
            "/elsewhere/same-bytes.jpg": look_alike,
            "/elsewhere/re-encoded.jpg": re_encoded,
            "/elsewhere/her-picture.jpg": _jpeg(picture, quality=50),
        },
        {
            "/board.html": [
                "/m/look-alike.jpg",
                "/own/photo.jpg",
                "/elsewhere/same-bytes.jpg",
                "/elsewhere/re-encoded.jpg",
                "/elsewhere/her-picture.jpg",
            ]
        },
    )
    scan = cli("scan", "-v")

    assert _sightings(cli) == {
        ("k1", "m/look-alike.jpg", "dismissed"),
        ("k1", "m/on-own-page.jpg", "new"),
        ("k1", "own/photo.jpg", "new"),
        (
            "k1",
            "elsewhere/her-picture.jpg",
            "new",
        ),  # her picture: closer to it than to the dismissed
        ("k2", "m/look-alike.jpg", "new"),
        ("k2", "elsewhere/same-bytes.jpg", "new"),
        ("k2", "elsewhere/re-encoded.jpg", "new"),
        ("k2", "elsewhere/her-picture.jpg", "new"),
    }
    assert [len(alert_receiver.messages), len(second_alert_receiver.messages)] == [2, 2]
    assert "dismissed before as a false positive" in scan.stderr
    assert "on the client's allow-list" in scan.stderr
    # The dismissal is in k1's evidence log, which still verifies.
    (k1,) = json.loads(cli("verify", "--client", "k1", "--json").stdout)
    assert k1["intact"] is True
