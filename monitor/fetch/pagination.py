"""Which links on a page lead to its next page. Pure; used by `monitor.fetch.extract`.

Signals, strongest first: `rel="next"` on <link> or <a>; a link labelled "Next", "Next page",
"Older posts" (in its text, `aria-label`, `title` or an image's `alt`); a class name such as
"next", "pagination-next" or "nextpostslink" on the link or its parent; a bare arrow (U+203A,
U+2192, ">"); a bare "»" (sometimes "last page" instead); an address that is this page's
number plus one (`?page=N+1`, `/page/N+1/`). A link labelled "Previous" or "Newer posts" is
never a next page, whatever its class says (WordPress puts "Newer posts" in `class="nav-next"`).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from lxml import etree  # type: ignore[import-untyped]

RANK_REL = 0
RANK_LABEL = 1
RANK_CLASS = 2
RANK_ARROW = 3
RANK_DOUBLE_ARROW = 4
RANK_ADDRESS = 5

MAX_CANDIDATES = 100
_MAX_LABEL_NODES = 12
_MAX_LABEL_CHARS = 60

_NEXT_WORDS = frozenset(
    {"next", "next page", "nextpage", "go to next page", "older", "older posts"}
    | {"older entries", "weiter", "nächste", "nächste seite", "suivant", "page suivante"}
    | {"siguiente", "página siguiente", "próxima", "próxima página", "successiva", "avanti"}
    | {"volgende", "następna", "следующая", "далее", "次へ", "次のページ", "下一页", "다음"}
)
_PREVIOUS_WORDS = frozenset(
    {"prev", "previous", "previous page", "go to previous page", "newer", "newer posts"}
    | {"newer entries", "back", "zurück", "vorherige", "précédent", "anterior", "precedente"}
    | {"vorige", "poprzednia", "предыдущая", "назад", "前へ", "上一页", "이전"}
)
# Single and heavy angle quotation marks, arrows, triangles; written as escapes for readability.
_FORWARD_ARROWS = "\u203a\u2192>\u276f\u27e9\u25b6\u25ba"
_DOUBLE_ARROWS = ("»", ">>", "»»")
_BACKWARD_ARROWS = "\u2039«\u2190<\u276e\u27e8\u25c0\u25c4"
_ARROWS_TO_SPACES = {ord(arrow): " " for arrow in _FORWARD_ARROWS + _BACKWARD_ARROWS + "»"}
_NEXT_CLASS = re.compile(r"(?:^|[-_])next(?:$|[-_]|page|link|postslink|posts)")
_PAGED_PATH = re.compile(r"^(.*?)/page/(\d{1,6})/?$")
_PAGE_KEYS = ("page", "p", "pg", "paged", "pagenum", "page_num", "pageno")


class NextPageFinder:
    """Collects next-page candidates of one page; `best()` gives them strongest first."""

    def __init__(self, *, page_url: str) -> None:
        self._addresses = NextAddresses(page_url)
        self._candidates: dict[str, int] = {}

    def add_rel_next(self, url: str) -> None:
        self._add(url, RANK_REL)

    def consider_anchor(self, element: etree._Element, url: str) -> None:
        """`url` is the anchor's absolute, same-site href."""
        rank = _anchor_rank(element, url=url, addresses=self._addresses)
        if rank is not None:
            self._add(url, rank)

    def best(self, limit: int) -> tuple[str, ...]:
        """Up to `limit` URLs, strongest signal first, then in document order."""
        order = sorted(self._candidates.items(), key=lambda item: item[1])  # stable
        return tuple(url for url, _ in order[:limit])

    def _add(self, url: str, rank: int) -> None:
        known = self._candidates.get(url)
        if known is not None:
            self._candidates[url] = min(known, rank)
        elif len(self._candidates) < MAX_CANDIDATES:
            self._candidates[url] = rank


def _anchor_rank(element: etree._Element, *, url: str, addresses: NextAddresses) -> int | None:
    rel = element.get("rel", "").lower().split()
    if "next" in rel:
        return RANK_REL
    if "prev" in rel or "previous" in rel:
        return None
    meanings = (
        _meaning(_short_text(element)),
        _meaning(element.get("aria-label")),
        _meaning(element.get("title")),
    )
    if "previous" in meanings:
        return None
    if "next" in meanings:
        return RANK_LABEL
    if _has_next_class(element) or _has_next_class(element.getparent()):
        return RANK_CLASS
    if "arrow" in meanings:
        return RANK_ARROW
    if "double-arrow" in meanings:
        return RANK_DOUBLE_ARROW
    if addresses.matches(url):
        return RANK_ADDRESS
    return None


def _meaning(text: str | None) -> str | None:
    """ "next", "previous", "arrow", "double-arrow" or None for what a label says."""
    if not text or len(text) > _MAX_LABEL_CHARS:
        return None
    label = " ".join(text.lower().split())
    words = " ".join(label.translate(_ARROWS_TO_SPACES).split())
    words = words.strip(" .:…")
    if words in _NEXT_WORDS:
        return "next"
    if words in _PREVIOUS_WORDS:
        return "previous"
    if words:
        return None
    compact = label.replace(" ", "")
    if compact in _DOUBLE_ARROWS:
        return "double-arrow"
    if compact and all(character in _FORWARD_ARROWS for character in compact):
        return "arrow"
    if compact and all(character in _BACKWARD_ARROWS for character in compact):
        return "previous"
    return None


def _short_text(element: etree._Element) -> str | None:
    """The visible label of a small element (text and images' alt), None for a large one."""
    if len(element) == 0:  # the common case: text only
        text = element.text
        return text if isinstance(text, str) and len(text) <= _MAX_LABEL_CHARS else None
    parts: list[str] = []
    for count, node in enumerate(element.iter()):
        if count >= _MAX_LABEL_NODES:
            return None
        if node.tag == "img":
            parts.append(node.get("alt", ""))
        if isinstance(node.text, str):
            parts.append(node.text)
        if node is not element and isinstance(node.tail, str):
            parts.append(node.tail)
        if sum(len(part) for part in parts) > _MAX_LABEL_CHARS:
            return None
    return " ".join(parts)


def _has_next_class(element: etree._Element | None) -> bool:
    if element is None or not isinstance(element.tag, str):
        return False
    return any(_NEXT_CLASS.search(token) for token in element.get("class", "").lower().split())


def is_next_address(url: str, *, page_url: str) -> bool:
    """Whether `url` is `page_url` with its page number (`?page=N`, `/page/N/`) plus one.

    A page without a number counts as page 1, so `/gallery/` -> `/gallery/page/2/` or
    `/gallery/?page=2`.
    """
    return NextAddresses(page_url).matches(url)


class NextAddresses:
    """The addresses that would be a page's next page by number, worked out once per page."""

    def __init__(self, page_url: str) -> None:
        self._expected: set[tuple[str, str, tuple[tuple[str, str], ...]]] = set()
        self._markers: set[str] = set()  # a cheap substring test before any URL parsing
        try:
            page = urlsplit(page_url)
        except ValueError:
            return
        query = _query(page.query)
        numbered = [key for key in _PAGE_KEYS if _page_number(query, key) is not None]
        for key in numbered or _PAGE_KEYS:
            number = (_page_number(query, key) or 1) + 1
            others = [(name, value) for name, value in query if name != key]
            self._expect(page.netloc, page.path, [*others, (key, str(number))])
            self._markers.add(f"{key}={number}")
        paged = _PAGED_PATH.match(page.path)
        prefix, number = (
            (paged.group(1), int(paged.group(2)) + 1) if paged else (page.path.rstrip("/"), 2)
        )
        for slash in ("", "/"):
            self._expect(page.netloc, f"{prefix}/page/{number}{slash}", query)
        self._markers.add(f"/page/{number}")

    def matches(self, url: str) -> bool:
        lowered = url.lower()
        if not any(marker in lowered for marker in self._markers):
            return False
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        return (parts.netloc.lower(), parts.path, _canonical(_query(parts.query))) in self._expected

    def _expect(self, netloc: str, path: str, query: list[tuple[str, str]]) -> None:
        self._expected.add((netloc.lower(), path, _canonical(query)))


def _query(text: str) -> list[tuple[str, str]]:
    return [(name.lower(), value) for name, value in parse_qsl(text, keep_blank_values=True)]


def _canonical(query: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(query))


def _page_number(query: list[tuple[str, str]], key: str) -> int | None:
    values = [value for name, value in query if name == key]
    if len(values) != 1 or not values[0].isascii() or not values[0].isdigit():
        return None
    return int(values[0]) if len(values[0]) <= 6 else None
