"""Next-page detection, through `extract_page` as the pipeline sees it."""

from __future__ import annotations

import time

import pytest

from monitor.fetch.extract import MAX_NEXT_PAGES, extract_page
from monitor.fetch.pagination import is_next_address

PAGE = "https://forum.example.org/t/42/"


def next_pages(body: str, *, page_url: str = PAGE) -> tuple[str, ...]:
    return extract_page(body.encode(), page_url=page_url).next_pages


@pytest.mark.parametrize(
    "anchor",
    [
        '<a href="/t/42/2">Next</a>',
        '<a href="/t/42/2">  next\n page </a>',
        '<a href="/t/42/2">Next &raquo;</a>',
        '<a href="/t/42/2"><span>Next</span> <i class="icon"></i></a>',
        '<a href="/t/42/2">&laquo; Older posts</a>',
        '<a href="/t/42/2">Older Entries</a>',
        '<a href="/t/42/2">Weiter</a>',
        '<a href="/t/42/2" aria-label="Next page"><svg></svg></a>',
        '<a href="/t/42/2" title="Next"><i class="fa fa-chevron"></i></a>',
        '<a href="/t/42/2"><img src="/arrow.gif" alt="Next"></a>',
        '<a href="/t/42/2" class="next">2</a>',
        '<a href="/t/42/2" class="page-link pagination-next">go</a>',
        '<a href="/t/42/2" class="nextpostslink">go</a>',
        '<a href="/t/42/2" class="btn_next">go</a>',
        '<li class="page-item next"><a href="/t/42/2" class="page-link">go</a></li>',
        '<a href="/t/42/2">&rsaquo;</a>',
        '<a href="/t/42/2">&rarr;</a>',
        '<a href="/t/42/2">&gt;</a>',
        '<a href="/t/42/2">&raquo;</a>',
        '<a href="/t/42/2">&gt;&gt;</a>',
        '<a href="/t/42/2" rel="next nofollow">2</a>',
        '<area href="/t/42/2" rel="next">',
    ],
)
def test_a_next_link_is_found(anchor: str) -> None:
    assert next_pages(f"<body><p>{anchor}</p></body>") == ("https://forum.example.org/t/42/2",)


def test_link_rel_next_in_the_head_is_found() -> None:
    html = '<head><link rel="next" href="https://forum.example.org/t/42/2"></head><body></body>'
    assert next_pages(html) == ("https://forum.example.org/t/42/2",)


@pytest.mark.parametrize(
    "anchor",
    [
        '<a href="/t/42/0">Previous</a>',
        '<a href="/t/42/0">&laquo; Prev</a>',
        '<a href="/t/42/0">&lsaquo;</a>',
        '<a href="/t/42/0">&laquo;</a>',
        '<a href="/t/42/0" rel="prev">go</a>',
        '<div class="nav-next"><a href="/t/42/0">Newer posts &rarr;</a></div>',
        '<a href="/t/42/0" class="next" aria-label="Previous page">x</a>',
        '<a href="/t/42/9">Last</a>',
        '<a href="/t/42/9">9</a>',
        '<a href="/about" class="context">About</a>',
        '<a href="/gallery" class="nextgen-gallery">Gallery</a>',
        '<a href="/t/42/more">More</a>',
        '<a href="/t/42/2">Next Tuesday we will publish the second part of this story</a>',
        '<a href="https://other.example.net/t/42/2" rel="next">Next</a>',
        '<a href="#top">Next</a>',
        '<a href="javascript:void(0)">Next</a>',
        '<a href="/t/42/">Next</a>',
    ],
)
def test_other_links_are_not_next_pages(anchor: str) -> None:
    assert next_pages(f"<body>{anchor}</body>") == ()


def test_the_strongest_signal_comes_first() -> None:
    html = """<body>
      <a href="?page=2">2</a>
      <a href="/t/42/last">&raquo;</a>
      <a href="/t/42/arrow">&rsaquo;</a>
      <li class="next"><a href="/t/42/classed">go</a></li>
      <a href="/t/42/labelled">Next page</a>
      <a href="/t/42/rel" rel="next">go</a>
    </body>"""
    assert next_pages(html, page_url=PAGE) == tuple(
        f"https://forum.example.org/t/42/{tail}"
        for tail in ("rel", "labelled", "classed", "arrow", "last", "?page=2")
    )


def test_a_url_found_twice_keeps_its_strongest_signal() -> None:
    html = '<a href="/t/42/x">&raquo;</a> <a href="/t/42/y">&rsaquo;</a> <a href="/t/42/x">Next</a>'
    assert next_pages(html) == (
        "https://forum.example.org/t/42/x",
        "https://forum.example.org/t/42/y",
    )


@pytest.mark.parametrize(
    ("page_url", "url", "expected"),
    [
        ("https://e.org/gallery", "https://e.org/gallery?page=2", True),
        ("https://e.org/gallery?page=1", "https://e.org/gallery?page=2", True),
        ("https://e.org/g?id=7&page=4", "https://e.org/g?page=5&id=7", True),
        ("https://e.org/g?p=9", "https://e.org/g?p=10", True),
        ("https://e.org/blog/", "https://e.org/blog/page/2/", True),
        ("https://e.org/blog", "https://e.org/blog/page/2", True),
        ("https://e.org/blog/page/3/", "https://e.org/blog/page/4/", True),
        ("https://e.org/", "https://e.org/page/2/", True),
        ("https://e.org/g?page=4", "https://e.org/g?page=6", False),
        ("https://e.org/g?page=4", "https://e.org/g?page=3", False),
        ("https://e.org/g?id=7&page=4", "https://e.org/g?id=8&page=5", False),
        ("https://e.org/g", "https://e.org/h?page=2", False),
        ("https://e.org/g", "https://other.org/g?page=2", False),
        ("https://e.org/blog/page/3/", "https://e.org/news/page/4/", False),
        ("https://e.org/blog/", "https://e.org/blog/page/3/", False),
        ("https://e.org/g", "https://e.org/g?page=2&page=2", False),
        ("https://e.org/g", "https://e.org/g?page=99999999999", False),
        ("https://e.org/g", "https://e.org/g?page=%D9%A2", False),
        ("https://e.org/g", "http://[broken/g?page=2", False),
    ],
)
def test_next_address(page_url: str, url: str, expected: bool) -> None:
    assert is_next_address(url, page_url=page_url) is expected


def test_numbered_link_to_the_following_page_counts_as_next() -> None:
    html = '<a href="?page=1">1</a> <a href="?page=3">3</a> <a href="?page=4">4</a>'
    assert next_pages(html, page_url="https://e.org/list?page=2") == ("https://e.org/list?page=3",)


def test_next_pages_are_capped() -> None:
    html = "".join(f'<a href="/t/{n}" rel="next">n</a>' for n in range(500))
    found = next_pages(html)
    assert len(found) == MAX_NEXT_PAGES
    assert found[0] == "https://forum.example.org/t/0"


def test_hostile_markup_stays_fast() -> None:
    nested = '<a href="/x" class="next">' * 20_000 + "Next" + "</a>" * 20_000
    empty_tags = '<a href="/y">' + "<b></b>" * 200_000 + "Next</a>"
    many = '<a class="next" href="/z/{}">Next</a>' * 1
    many_anchors = "".join(many.format(n) for n in range(50_000))
    for html in (nested, empty_tags, many_anchors):
        started = time.monotonic()
        found = next_pages(f"<body>{html}</body>")
        assert time.monotonic() - started < 5
        assert len(found) <= MAX_NEXT_PAGES
