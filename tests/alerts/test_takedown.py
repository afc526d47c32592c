from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from monitor.alerts.render import DISCREET_WORDS
from monitor.alerts.takedown import BUILTIN_ROUTES, TakedownRegistry, TakedownRoute

SEEN = datetime(2026, 11, 22, 10, 15, tzinfo=UTC)
REGISTRY = TakedownRegistry()


def link(page: str, image: str = "https://unlisted-cdn.example/a.jpg") -> str:
    return REGISTRY.link_for(page_url=page, image_url=image, seen_at=SEEN)


def route_name(page: str, image: str = "https://unlisted-cdn.example/a.jpg") -> str:
    return REGISTRY.route_for(page_url=page, image_url=image, seen_at=SEEN).name


def parse_mailto(mailto: str) -> tuple[str, str, str]:
    """Address, subject and body, decoded as a mail client would (RFC 6068)."""
    parts = urlsplit(mailto)
    assert parts.scheme == "mailto"
    fields = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert set(fields) == {"subject", "body"}
    return parts.path, fields["subject"][0], fields["body"][0]


EXPECTED = {
    "https://www.facebook.com/photo?fbid=1": "https://about.meta.com/actions/safety/topics/bullying-harassment/ncii",
    "https://m.facebook.com/story.php": "https://about.meta.com/actions/safety/topics/bullying-harassment/ncii",
    "https://fb.com/x": "https://about.meta.com/actions/safety/topics/bullying-harassment/ncii",
    "https://www.instagram.com/p/abc/": "https://about.meta.com/actions/safety/topics/bullying-harassment/ncii",
    "https://www.threads.net/@a/post/1": "https://about.meta.com/actions/safety/topics/bullying-harassment/ncii",
    "https://x.com/a/status/1": "https://help.x.com/en/rules-and-policies/us-tida",
    "https://mobile.twitter.com/a/status/1": "https://help.x.com/en/rules-and-policies/us-tida",
    "https://pbs.twimg.com/media/a.jpg": "https://help.x.com/en/rules-and-policies/us-tida",
    "https://old.reddit.com/r/a/comments/b": "https://www.reddit.com/report",
    "https://redd.it/abc": "https://www.reddit.com/report",
    "https://i.redditmedia.com/a.jpg": "https://www.reddit.com/report",
    "https://www.tiktok.com/@a/video/1": "https://support.tiktok.com/en/safety-hc/report-a-problem/report-sexual-abuse",
    "https://www.youtube.com/watch?v=1": "https://support.google.com/youtube/answer/142443",
    "https://youtu.be/1": "https://support.google.com/youtube/answer/142443",
    "https://story.snapchat.com/p/1": "https://values.snap.com/safety/safety-reporting",
    "https://discord.com/channels/1/2": "https://discord.com/report",
    "https://cdn.discordapp.com/attachments/1/a.png": "https://discord.com/report",
    "https://www.pornhub.com/view_video.php?viewkey=1": "https://www.pornhub.com/content-removal",
    "https://onlyfans.com/someone": "https://blog.onlyfans.com/reporting-on-onlyfans/",
    "https://someone.tumblr.com/post/1": "https://www.tumblr.com/abuse/privacy",
    "https://imgur.com/gallery/abc": "https://help.imgur.com/hc/en-us/requests/new",
    "https://i.imgur.com/abc.jpg": "https://help.imgur.com/hc/en-us/requests/new",
    "https://www.pinterest.com/pin/1/": "https://help.pinterest.com/en/article/report-something-on-pinterest",
    "https://i.pinimg.com/a.jpg": "https://help.pinterest.com/en/article/report-something-on-pinterest",
    "https://vimeo.com/1": "https://help.vimeo.com/hc/en-us/articles/12427640658065-Guidelines-for-Privacy-Claims",
    "https://www.bing.com/images/search?q=a": "https://www.microsoft.com/en-us/concern/revengeporn",
    "https://1drv.ms/u/s!abc": "https://www.microsoft.com/en-us/concern/revengeporn",
}


@pytest.mark.parametrize(("page", "expected"), EXPECTED.items())
def test_builtin_routes_cover_platforms_and_subdomains(page: str, expected: str) -> None:
    assert link(page) == expected


@pytest.mark.parametrize(
    "page",
    [
        "https://www.google.com/search?q=a&tbm=isch",
        "https://google.de/search?q=a",
        "https://www.google.co.uk/search?q=a",
        "https://images.google.com.au/imgres?imgurl=x",
        "https://www.google.fr/images?q=x",
    ],
)
def test_search_result_pages_get_the_delisting_request(page: str) -> None:
    assert link(page) == "https://support.google.com/websearch/answer/6302812"


@pytest.mark.parametrize(
    "page",
    [
        "https://sites.google.com/view/someone",  # hosted content, not a search result
        "https://google.evil.example/search?q=a",  # not Google at all
        "https://www.google.com.evil.example/search",
        "https://notgoogle.com/search",
    ],
)
def test_other_google_like_pages_are_not_search_results(page: str) -> None:
    assert "support.google.com/websearch" not in link(page)


def test_image_host_route_applies_when_the_page_host_has_none() -> None:
    assert link("https://aggregator.example/p/1", "https://i.redd.it/x.jpg") == (
        "https://www.reddit.com/report"
    )


def test_page_host_route_wins_over_the_image_host() -> None:
    assert link("https://vimeo.com/1", "https://i.imgur.com/x.jpg").startswith(
        "https://help.vimeo.com/"
    )


def test_telegram_gets_its_abuse_address_with_a_prefilled_message() -> None:
    address, subject, body = parse_mailto(link("https://t.me/channel/5"))
    assert address == "abuse@telegram.org"
    assert subject == "Removal request for content on t.me"
    assert "Page: https://t.me/channel/5" in body


def test_fallback_mail_to_abuse_address_round_trips() -> None:
    page = "https://www.forum.example.net/thread?id=7&lang=en#post-3"
    image = "https://img.forum.example.net/a b+c.jpg"

    address, subject, body = parse_mailto(link(page, image))

    assert address == "abuse@forum.example.net"
    assert subject == "Removal request for content on forum.example.net"
    assert body == (
        "Hello,\r\n"
        "\r\n"
        "I am asking you to remove content on forum.example.net. It shows a person who did "
        "not consent to its publication.\r\n"
        "\r\n"
        f"Page: {page}\r\n"
        f"Image: {image}\r\n"
        "First seen: 2026-11-22T10:15:00Z (UTC)\r\n"
        "\r\n"
        "Thank you."
    )


def test_fallback_mail_is_neutral_and_has_only_the_given_facts() -> None:
    mailto = link("https://forum.example.net/t/1", "https://forum.example.net/t/1")
    _, subject, body = parse_mailto(mailto)
    for word in DISCREET_WORDS:
        assert word not in subject.lower()
        assert word not in body.lower()
    assert "Image:" not in body  # same as the page, said once
    assert " " not in mailto
    assert "\n" not in mailto


def test_seen_at_in_another_zone_is_written_in_utc() -> None:
    seen = datetime(2026, 11, 22, 12, 15, tzinfo=timezone(timedelta(hours=2)))
    mailto = REGISTRY.link_for(page_url="https://a.example/p", image_url="", seen_at=seen)
    assert "First seen: 2026-11-22T10:15:00Z (UTC)" in parse_mailto(mailto)[2]


@pytest.mark.parametrize(
    ("page", "address"),
    [
        ("https://user:secret@WWW.Forum.Example.NET.:8443/x", "abuse@forum.example.net"),
        ("https://bücher.example/seite", "abuse@xn--bcher-kva.example"),
        ("https://BÜCHER.example./seite", "abuse@xn--bcher-kva.example"),
        ("forum.example.net/no-scheme", "abuse@forum.example.net"),
        ("forum.example.net:8080/no-scheme", "abuse@forum.example.net"),
        ("https://example。com/fullwidth-dot", "abuse@example.com"),
    ],
)
def test_hostile_but_usable_hosts_are_normalised(page: str, address: str) -> None:
    assert parse_mailto(link(page, ""))[0] == address


@pytest.mark.parametrize(
    "page",
    [
        "",
        "   ",
        "not a url",
        "javascript:alert(1)",
        "http:///no-host",
        "http://[::1/unbalanced",
        "https://a..b/x",
        "https://" + "a" * 70 + ".example/x",
        "http://127.0.0.1/x",
        "http://[2001:db8::1]/x",
        "https://exa mple.com/x",
        "https://<script>/x",
    ],
)
def test_unusable_hosts_still_give_a_prefilled_mail_without_address(page: str) -> None:
    mailto = link(page, "")
    address, subject, body = parse_mailto(mailto)
    assert address == ""
    assert subject.startswith("Removal request for content on ")
    assert "First seen: 2026-11-22T10:15:00Z (UTC)" in body


def test_image_host_is_used_for_the_address_when_the_page_has_none() -> None:
    assert parse_mailto(link("", "https://cdn.example.org/a.jpg"))[0] == "abuse@cdn.example.org"


def test_huge_urls_are_clipped_in_the_mail() -> None:
    page = "https://forum.example.net/" + "x" * 100_000
    assert len(link(page, "")) < 4000


def test_override_wins_over_builtin_at_equal_specificity() -> None:
    mine = TakedownRoute(
        domains=["reddit.com"], name="Our Reddit contact", url="https://help.example/reddit"
    )
    registry = TakedownRegistry([mine])
    assert (
        registry.link_for(page_url="https://www.reddit.com/r/x", image_url="", seen_at=SEEN)
        == "https://help.example/reddit"
    )
    builtin_reddit = next(route for route in BUILTIN_ROUTES if "reddit.com" in route.domains)
    assert registry.route_for(page_url="https://redd.it/x", image_url="", seen_at=SEEN) == (
        builtin_reddit
    )


def test_more_specific_domain_wins_whoever_declares_it() -> None:
    broad = TakedownRoute(domains=["tumblr.com"], name="broad", url="https://broad.example")
    registry = TakedownRegistry([broad])
    assert route_name_with(registry, "https://someone.tumblr.com/post/1") == "broad"
    narrow = TakedownRoute(
        domains=["media.example.net"], name="narrow", url="https://narrow.example"
    )
    wide = TakedownRoute(domains=["example.net"], name="wide", url="https://wide.example")
    registry = TakedownRegistry([wide, narrow])
    assert route_name_with(registry, "https://a.media.example.net/x") == "narrow"
    assert route_name_with(registry, "https://www.example.net/x") == "wide"


def route_name_with(registry: TakedownRegistry, page: str) -> str:
    return registry.route_for(page_url=page, image_url="", seen_at=SEEN).name


def test_placeholders_are_filled_url_encoded() -> None:
    route = TakedownRoute(
        domains=["forum.example.net"],
        name="form",
        url="https://report.example/new?u={url}&img={image_url}&d={date}",
    )
    page = "https://forum.example.net/t?a=1&b=2"
    filled = TakedownRegistry([route]).link_for(
        page_url=page, image_url="https://x.example/a b.jpg", seen_at=SEEN
    )
    query = parse_qs(urlsplit(filled).query)
    assert query == {
        "u": [page],
        "img": ["https://x.example/a b.jpg"],
        "d": ["2026-11-22"],
    }


def test_mailto_override_with_own_fields_is_not_extended() -> None:
    route = TakedownRoute(
        domains=["forum.example.net"],
        name="mail",
        url="mailto:legal@forum.example.net?subject=Case&body={url}",
    )
    filled = TakedownRegistry([route]).link_for(
        page_url="https://forum.example.net/t/1", image_url="", seen_at=SEEN
    )
    body = "https%3A%2F%2Fforum.example.net%2Ft%2F1"
    assert filled == f"mailto:legal@forum.example.net?subject=Case&body={body}"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"domains": [], "name": "x", "url": "https://a.example"}, "at least 1"),
        (
            {"domains": ["https://a.example"], "name": "x", "url": "https://a.example"},
            "not a domain",
        ),
        ({"domains": ["a.example"], "name": "x", "url": "http://a.example"}, "not a removal link"),
        ({"domains": ["a.example"], "name": "x", "url": "javascript:x"}, "not a removal link"),
        ({"domains": ["a.example"], "name": "x", "url": "https://a", "paths": ["s"]}, "start with"),
        ({"domains": ["a.example"], "name": "x", "url": "https://a.example", "extra": 1}, "extra"),
    ],
)
def test_route_config_errors_say_what_is_wrong(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TakedownRoute.model_validate(fields)


def test_route_domains_are_normalised() -> None:
    route = TakedownRoute(
        domains=["*.Forum.Example.NET.", "bücher.example", "google.*"],
        name="x",
        url="https://a.example",
    )
    assert route.domains == ["forum.example.net", "xn--bcher-kva.example", "google.*"]


def test_builtin_routes_are_all_https_or_mailto_and_named() -> None:
    for route in BUILTIN_ROUTES:
        assert route.url.startswith(("https://", "mailto:"))
        assert route.name
