"""Reddit listings as plain data: the posts of one page, and the images and links each carries.

Pure functions over the JSON Reddit's API returns (`{"kind": "Listing", "data": {"after",
"children": [{"kind": "t3", "data": {...}}]}}`). Reddit escapes `&` as `&amp;` in the URLs of
previews and gallery items unless asked for `raw_json=1`, so every URL is HTML-unescaped.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from monitor.sources.fields import check_http_url

logger = logging.getLogger(__name__)

PUBLIC_SITE = "https://www.reddit.com"
_POST_NAME = re.compile(r"t3_([0-9a-z]{1,13})")
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".heic", ".bmp")
# Links that are Reddit's own pages or its video host: the images come from the API instead.
_NOT_A_PAGE_HOSTS = ("reddit.com", "redd.it", "redditmedia.com")


class ListingError(ValueError):
    """The JSON is not a Reddit listing at all."""


@dataclass(frozen=True)
class RedditPost:
    name: str  # "t3_" + base-36 ID; IDs grow with time, so they order posts
    page_url: str
    image_urls: tuple[str, ...]
    link_url: str | None  # an outside page the post links to (it may show the image)

    @property
    def order(self) -> int:
        return post_order(self.name)


@dataclass(frozen=True)
class ListingPage:
    posts: tuple[RedditPost, ...]
    after: str | None  # the cursor for the next (older) page; None on the last page


def post_order(name: str) -> int:
    """The number in a post's fullname ("t3_abc" -> int("abc", 36)); ValueError if malformed."""
    match = _POST_NAME.fullmatch(name)
    if match is None:
        raise ValueError(f"{name!r} is not a Reddit post name")
    return int(match.group(1), 36)


def parse_listing(payload: Any) -> ListingPage:
    """The posts of one listing page; posts that are not usable are skipped with a log line."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if (
        not isinstance(payload, dict)
        or payload.get("kind") != "Listing"
        or not isinstance(data, dict)
    ):
        raise ListingError('not a Reddit listing (expected {"kind": "Listing", "data": {...}})')
    children = data.get("children")
    if not isinstance(children, list):
        raise ListingError("the listing has no list of children")
    posts = []
    for child in children:
        post = _post_of(child)
        if post is not None:
            posts.append(post)
    after = data.get("after")
    cursor = after if isinstance(after, str) and _POST_NAME.fullmatch(after) else None
    return ListingPage(posts=tuple(posts), after=cursor)


def _post_of(child: Any) -> RedditPost | None:
    if not isinstance(child, dict) or child.get("kind") != "t3":
        return None
    data = child.get("data")
    if not isinstance(data, dict):
        return None
    name = data.get("name")
    permalink = data.get("permalink")
    if not isinstance(name, str) or not _POST_NAME.fullmatch(name):
        logger.info("reddit: skipping a post without a valid name: %.80r", name)
        return None
    if not isinstance(permalink, str) or not permalink.startswith("/") or "\\" in permalink:
        logger.info("reddit: skipping post %s without a valid permalink", name)
        return None
    images = list(post_image_urls(data))
    for parent in _list(data.get("crosspost_parent_list")):
        if isinstance(parent, dict):
            images.extend(post_image_urls(parent))
    return RedditPost(
        name=name,
        page_url=PUBLIC_SITE + permalink,
        image_urls=tuple(dict.fromkeys(images)),
        link_url=_outside_link(data, images),
    )


def post_image_urls(post: dict[str, Any]) -> list[str]:
    """A post's direct image, its gallery's images and its preview images, in that order."""
    urls: list[str] = []
    direct = _web_url(post.get("url_overridden_by_dest") or post.get("url"))
    if direct is not None and _is_image_link(post, direct):
        urls.append(direct)
    urls.extend(_gallery_urls(post))
    preview = post.get("preview")
    for image in _list(preview.get("images") if isinstance(preview, dict) else None):
        source = image.get("source") if isinstance(image, dict) else None
        url = _web_url(source.get("url") if isinstance(source, dict) else None)
        if url is not None:
            urls.append(url)
    return list(dict.fromkeys(urls))


def _gallery_urls(post: dict[str, Any]) -> list[str]:
    gallery = post.get("gallery_data")
    metadata = post.get("media_metadata")
    if not isinstance(gallery, dict) or not isinstance(metadata, dict):
        return []
    urls = []
    for item in _list(gallery.get("items")):
        media_id = item.get("media_id") if isinstance(item, dict) else None
        media = metadata.get(media_id) if isinstance(media_id, str) else None
        if not isinstance(media, dict) or media.get("status", "valid") != "valid":
            continue
        largest = media.get("s")
        if isinstance(largest, dict):
            # "u" for a still image, "gif" for an animated one (which has no "u")
            url = _web_url(largest.get("u") or largest.get("gif"))
            if url is not None:
                urls.append(url)
    return urls


def _is_image_link(post: dict[str, Any], url: str) -> bool:
    path = urlsplit(url).path.lower()
    return post.get("post_hint") == "image" or path.endswith(_IMAGE_SUFFIXES)


def _outside_link(post: dict[str, Any], images: list[str]) -> str | None:
    if post.get("is_self") or post.get("is_gallery"):
        return None
    url = _web_url(post.get("url_overridden_by_dest") or post.get("url"))
    if url is None or url in images:
        return None
    host = (urlsplit(url).hostname or "").lower()
    if any(host == own or host.endswith("." + own) for own in _NOT_A_PAGE_HOSTS):
        return None
    return url


def _web_url(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > 4096:
        return None
    try:
        return check_http_url(html.unescape(value).strip())
    except ValueError:
        return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
