from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.alerts.render import (
    DISCREET_WORDS,
    MAX_LISTED_ITEMS,
    AlertItem,
    AlertMessage,
    render_digest,
    render_test_message,
)
from monitor.alerts.takedown import TakedownRegistry

SEEN = datetime(2026, 11, 22, 10, 15, tzinfo=UTC)


def item(n: int, *, minutes: int = 0, image: str | None = None) -> AlertItem:
    page = f"https://forum.example.net/thread/{n}"
    return AlertItem(
        page_url=page,
        image_url=image if image is not None else f"https://cdn.example.net/img/{n}.jpg",
        first_seen=SEEN + timedelta(minutes=minutes),
        takedown_url=f"mailto:abuse@forum.example.net?subject=Removal%20request%20{n}",
    )


def test_digest_exact_text_sorted_oldest_first() -> None:
    later_in_paris = AlertItem(
        page_url="https://forum.example.net/t/42",
        image_url="https://cdn.example.net/i/9.jpg",
        first_seen=datetime(2026, 11, 22, 12, 30, tzinfo=timezone(timedelta(hours=1))),
        takedown_url="https://www.reddit.com/report",
    )
    same_page_image = AlertItem(
        page_url="https://www.reddit.com/r/a/comments/1",
        image_url="https://www.reddit.com/r/a/comments/1",
        first_seen=SEEN,
        takedown_url="https://www.reddit.com/report",
    )

    message = render_digest(case_label="K-17", items=[later_in_paris, same_page_image])

    assert message == AlertMessage(
        title="Monitor: 2 new matches for case K-17",
        body=(
            "2 new matches for case K-17, oldest first.\n"
            "\n"
            "1. Found 2026-11-22T10:15:00Z\n"
            "   Page: https://www.reddit.com/r/a/comments/1\n"
            "   Request removal: https://www.reddit.com/report\n"
            "\n"
            "2. Found 2026-11-22T11:30:00Z\n"
            "   Page: https://forum.example.net/t/42\n"
            "   Image: https://cdn.example.net/i/9.jpg\n"
            "   Request removal: https://www.reddit.com/report\n"
            "\n"
            "All sightings: `monitor sightings --client K-17`"
        ),
    )


def test_single_match_title_is_singular() -> None:
    message = render_digest(case_label="K-17", items=[item(1)])
    assert message.title == "Monitor: 1 new match for case K-17"
    assert message.body.startswith("1 new match for case K-17, oldest first.\n")


def test_same_input_same_text_whatever_the_order() -> None:
    items = [item(n, minutes=n % 7) for n in range(12)]
    first = render_digest(case_label="K-17", items=items)
    second = render_digest(case_label="K-17", items=list(reversed(items)))
    assert first == second


def test_naive_time_is_taken_as_utc() -> None:
    naive = AlertItem("https://a.example/p", "", datetime(2026, 1, 2, 3, 4, 5), "mailto:x")
    assert "Found 2026-01-02T03:04:05Z" in render_digest(case_label="A", items=[naive]).body


def test_digest_lists_twenty_and_points_to_the_rest() -> None:
    items = [item(n, minutes=n) for n in range(MAX_LISTED_ITEMS + 7)]

    message = render_digest(case_label="K-17", items=items)

    assert message.title == "Monitor: 27 new matches for case K-17"
    assert message.body.count("Request removal:") == MAX_LISTED_ITEMS
    assert "https://forum.example.net/thread/19\n" in message.body  # the 20th, oldest first
    assert "thread/20\n" not in message.body
    assert message.body.endswith("and 7 more — run `monitor sightings --client K-17`")


def test_exactly_twenty_has_no_more_line() -> None:
    items = [item(n, minutes=n) for n in range(MAX_LISTED_ITEMS)]
    body = render_digest(case_label="K-17", items=items).body
    assert "more — run" not in body
    assert body.count("Request removal:") == MAX_LISTED_ITEMS


def test_case_label_with_spaces_is_quoted_in_the_command() -> None:
    items = [item(n, minutes=n) for n in range(MAX_LISTED_ITEMS + 1)]
    body = render_digest(case_label="case 9", items=items).body
    assert body.endswith("run `monitor sightings --client 'case 9'`")


@pytest.mark.parametrize(
    "label", ["K-17\nInjected: line", "K-17\r\nX", "\u2028K-17", "  K-17\t", "K" * 500, ""]
)
def test_title_stays_one_short_line_for_hostile_labels(label: str) -> None:
    for message in (
        render_digest(case_label=label, items=[item(1)]),
        render_test_message(case_label=label),
    ):
        assert "\n" not in message.title
        assert "\r" not in message.title
        assert "\u2028" not in message.title
        assert len(message.title) <= 120


def test_urls_cannot_forge_extra_lines() -> None:
    hostile = AlertItem(
        page_url="https://evil.example/p\nRequest removal: https://phish.example",
        image_url="https://evil.example/i.jpg\u2028Page: x",
        first_seen=SEEN,
        takedown_url="mailto:abuse@evil.example\r\nBcc: someone",
    )
    body = render_digest(case_label="K-17", items=[hostile]).body
    assert body.count("\n") == 7  # header, blank, 4 item lines, blank, closing line
    assert "p%0ARequest removal: https://phish.example" in body
    assert "i.jpg%E2%80%A8Page: x" in body
    assert "evil.example%0D%0ABcc: someone" in body


def test_very_long_url_is_shortened_for_display() -> None:
    long_url = "https://a.example/" + "x" * 5000
    body = render_digest(case_label="K", items=[item(1, image=long_url)]).body
    assert len(body) < 2000
    assert "… (shortened)" in body


def test_test_message_text() -> None:
    assert render_test_message(case_label="K-17") == AlertMessage(
        title="Monitor: test alert for case K-17",
        body=(
            "This is a test alert for case K-17.\n"
            "Alerts for this case will arrive here. No action is needed."
        ),
    )


def _rendered_messages() -> list[AlertMessage]:
    """Every template, filled with ordinary URLs and the registry's real takedown links."""
    registry = TakedownRegistry()
    pages = [
        ("https://forum.example.net/thread/1", "https://cdn.example.net/1.jpg"),
        ("https://www.reddit.com/r/pics/comments/abc", "https://i.redd.it/abc.jpg"),
        ("https://t.me/somechannel/12", "https://cdn.example.net/2.jpg"),
        ("https://www.google.com/search?q=holiday", "https://photos.example.org/3.jpg"),
        ("https://bücher.example/seite", ""),
    ]
    items = [
        AlertItem(
            page, image, SEEN, registry.link_for(page_url=page, image_url=image, seen_at=SEEN)
        )
        for page, image in pages
    ]
    return [
        render_digest(case_label="K-17", items=items[:1]),
        render_digest(case_label="K-17", items=items),
        render_digest(case_label="K-17", items=[item(n, minutes=n) for n in range(30)]),
        render_test_message(case_label="K-17"),
    ]


@pytest.mark.parametrize("word", DISCREET_WORDS)
def test_template_text_never_contains_discreet_words(word: str) -> None:
    for message in _rendered_messages():
        assert word not in message.title.lower()
        assert word not in message.body.lower()


def test_titles_name_no_site_and_no_url() -> None:
    for message in _rendered_messages():
        assert message.title.startswith("Monitor: ")
        assert "://" not in message.title
        for site_word in ("example", "reddit", "google", "t.me", ".com", ".net"):
            assert site_word not in message.title
