"""A page fetch as WARC request and response records, built in memory (gzip per record)."""

from __future__ import annotations

import io
from datetime import UTC
from http import HTTPStatus
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from monitor.fetch.client import FetchResult

# The fetcher hands over the decoded body; these headers described the encoded one.
_TRANSFER_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


def page_warc(result: FetchResult, *, user_agent: str) -> bytes:
    """The request as the fetcher sent it and the response as it came (body decoded)."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    date = result.fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    target = result.final_url
    path = _request_target(target)
    request_headers = {
        "Host": urlsplit(target).netloc,
        "User-Agent": user_agent,
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Encoding": "gzip, deflate",
    }
    request = writer.create_warc_record(
        target,
        "request",
        payload=io.BytesIO(b""),
        http_headers=StatusAndHeaders(
            f"GET {path} HTTP/1.1", list(request_headers.items()), is_http_request=True
        ),
        warc_headers_dict={"WARC-Date": date},
    )
    headers = [(k, v) for k, v in result.headers.items() if k.lower() not in _TRANSFER_HEADERS]
    headers.append(("Content-Length", str(len(result.body))))
    response = writer.create_warc_record(
        target,
        "response",
        payload=io.BytesIO(result.body),
        length=len(result.body),
        http_headers=StatusAndHeaders(
            f"{result.status} {_reason(result.status)}", headers, protocol="HTTP/1.1"
        ),
        warc_headers_dict={
            "WARC-Date": date,
            "WARC-Concurrent-To": request.rec_headers.get_header("WARC-Record-ID"),
        },
    )
    writer.write_record(request)
    writer.write_record(response)
    return buffer.getvalue()


def _request_target(url: str) -> str:
    after_scheme = url.split("://", 1)[-1]
    slash = after_scheme.find("/")
    return after_scheme[slash:] if slash >= 0 else "/"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
