"""Mastodon statuses as plain data: each status's page and the image URLs of its media.

Pure functions over the JSON of Mastodon's REST API: arrays of Status entities (`id`, `url`,
`uri`, `reblog`, `media_attachments[]` with `type`, `url`, `preview_url`, `remote_url`) and the
`Link` header that pages through them (`<...?max_id=123>; rel="next"`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from monitor.sources.fields import check_http_url

logger = logging.getLogger(__name__)

_STATUS_ID = re.compile(r"[0-9]{1,24}")
_LINK = re.compile(r"<([^<>]*)>((?:\s*;\s*[A-Za-z*]+\s*=\s*(?:\"[^\"]*\"|[^;,\s]*))*)")
_REL_NEXT = re.compile(r";\s*rel\s*=\s*\"?([^\";,]*)\"?")


class TimelineError(ValueError):
    """The JSON is not an array of statuses."""


@dataclass(frozen=True)
class MastodonStatus:
    id: str  # a number in a string; larger is newer
    page_url: str
    image_urls: tuple[str, ...]

    @property
    def order(self) -> int:
        return int(self.id)


def status_order(status_id: str) -> int:
    """Mastodon IDs are integers sent as strings; ValueError for anything else."""
    if not _STATUS_ID.fullmatch(status_id):
        raise ValueError(f"{status_id!r} is not a Mastodon status ID")
    return int(status_id)


def parse_statuses(payload: Any) -> list[MastodonStatus]:
    """The usable statuses of one timeline page; the others are skipped with a log line."""
    if not isinstance(payload, list):
        raise TimelineError("not a Mastodon timeline (expected a JSON array of statuses)")
    statuses = []
    for entry in payload:
        status = _status_of(entry)
        if status is not None:
            statuses.append(status)
    return statuses


def _status_of(entry: Any) -> MastodonStatus | None:
    if not isinstance(entry, dict):
        return None
    status_id = entry.get("id")
    if not isinstance(status_id, str) or not _STATUS_ID.fullmatch(status_id):
        logger.info("mastodon: skipping a status without a valid id: %.40r", status_id)
        return None
    # A boost carries the boosted status, whose page and media are the ones that matter.
    shown = entry["reblog"] if isinstance(entry.get("reblog"), dict) else entry
    page_url = _web_url(shown.get("url")) or _web_url(shown.get("uri"))
    if page_url is None:
        logger.info("mastodon: skipping status %s without a web address", status_id)
        return None
    return MastodonStatus(
        id=status_id, page_url=page_url, image_urls=tuple(media_image_urls(shown))
    )


def media_image_urls(status: dict[str, Any]) -> list[str]:
    """Images of a status's attachments: an image's own and original (remote) URL, and the
    still preview of a video or GIF."""
    media = status.get("media_attachments")
    urls: list[str] = []
    for attachment in media if isinstance(media, list) else ():
        if not isinstance(attachment, dict):
            continue
        kind = attachment.get("type")
        fields: tuple[str, ...]
        if kind == "image":
            fields = ("url", "remote_url")
        elif kind in ("gifv", "video"):
            fields = ("preview_url",)
        elif kind == "unknown":  # the instance could not copy it: only the origin has it
            fields = ("remote_url",)
        else:
            continue
        for field in fields:
            url = _web_url(attachment.get(field))
            if url is not None:
                urls.append(url)
    return list(dict.fromkeys(urls))


def next_max_id(link_header: str | None) -> str | None:
    """The `max_id` of the `rel="next"` link (the next, older page), if there is one."""
    if not link_header or len(link_header) > 8192:
        return None
    for match in _LINK.finditer(link_header):
        rels = _REL_NEXT.findall(match.group(2))
        if any("next" in rel.split() for rel in rels):
            query = parse_qs(urlsplit(match.group(1)).query)
            values = query.get("max_id", [])
            if len(values) == 1 and _STATUS_ID.fullmatch(values[0]):
                return values[0]
    return None


def _web_url(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > 4096:
        return None
    try:
        return check_http_url(value)
    except ValueError:
        return None
