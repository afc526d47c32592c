"""Every error the monitor raises on purpose, in one hierarchy.

MonitorError                  base: the message is for the user: what is wrong and how to fix it
 +-- ConfigError              the config file or a command-line value is wrong
 +-- UnknownClientError       a client ID that is not in the database
 +-- InputError               a path or file given on the command line cannot be used
 |    +-- FingerprintFileError    a malformed fingerprint file (`monitor hash` output, PDQ list)
 +-- ImageError               bytes that cannot be fingerprinted
 |    +-- ImageDecodeError        not an image Pillow can read, truncated, or hostile
 |    +-- ImageTooLargeError      more pixels than fetch.max_pixels (decompression bomb guard)
 |    +-- VideoDecodeError        not a video PyAV may read (MP4, MOV, WebM, AVI), or broken
 |    +-- VideoTooLargeError      a video past its frame-size, frame-count or decode-time cap
 +-- FetchError               one URL could not be fetched; `.url` and `.reason` say which and why
 |    +-- BlockedAddressError     the host is (or resolves to) a private or metadata address
 |    +-- ResponseTooLargeError   the body passed the byte cap while streaming
 |    +-- HttpStatusError         the server answered with a status that is not 2xx/304
 |    +-- FetchTimeoutError       connect or whole-response time limit passed
 |    +-- RedirectError           a redirect loop, too many hops, or a redirect to a bad URL
 |    +-- UnsupportedUrlError     not http(s), no host, or otherwise unusable
 +-- FeedError                a feed that is not RSS or Atom, or not XML at all
 +-- NotifyError              an alert could not be delivered
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base class. `str(error)` is a complete sentence meant for the user."""


class ConfigError(MonitorError):
    pass


class UnknownClientError(MonitorError):
    def __init__(self, client_id: str) -> None:
        super().__init__(
            f"no client {client_id!r}; list clients with `monitor client list` "
            f"or add one with `monitor client add {client_id}`"
        )
        self.client_id = client_id


class InputError(MonitorError):
    pass


class FingerprintFileError(InputError):
    pass


class ImageError(MonitorError):
    pass


class ImageDecodeError(ImageError):
    pass


class ImageTooLargeError(ImageError):
    pass


class VideoDecodeError(ImageError):
    pass


class VideoTooLargeError(ImageError):
    pass


class FetchError(MonitorError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class BlockedAddressError(FetchError):
    pass


class ResponseTooLargeError(FetchError):
    pass


class HttpStatusError(FetchError):
    def __init__(self, url: str, status: int) -> None:
        super().__init__(url, f"HTTP status {status}")
        self.status = status


class FetchTimeoutError(FetchError):
    pass


class RedirectError(FetchError):
    pass


class UnsupportedUrlError(FetchError):
    pass


class FeedError(MonitorError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"feed {url}: {reason}")
        self.url = url
        self.reason = reason


class NotifyError(MonitorError):
    pass
