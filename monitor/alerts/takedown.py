"""Where to ask for a sighting to be removed: one link per sighting, chosen from the site.

The site is the page's host, so a page on reddit.com gets Reddit's report form. A search-results
page (google.*/search, bing.com/images, ...) gets the search engine's delisting request instead,
because that is what removes the result. When the page host has no route but the image host
has (a platform's image CDN embedded elsewhere), the image host's route applies. Any other
host gets a prefilled email to abuse@<host>. The link never carries anything about the person
shown: the inputs are two URLs and a date, and nothing else is added.

Routes are config: `[alerts] takedown = [...]` in the TOML adds or replaces routes. The most
specific domain match wins; at equal specificity a configured route beats a built-in one.

Besides removal, StopNCII.org (run by SWGfL / the Revenge Porn Helpline) lets a victim hash
images on their own device and share only the hashes with participating platforms, which then
block matching uploads. It is a complement to these links, never the answer of `link_for`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor.alerts.render import format_utc

_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
# "google.*" in a route means google.<tld> and google.<co|com|...>.<cc>, e.g. google.co.uk.
_SECOND_LEVEL_LABELS: Final = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "or", "ne"})
_MAX_URL_IN_MAIL: Final = 1000


def _ascii_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    if not host:
        return ""
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return ""
    return ascii_host if _HOST.fullmatch(ascii_host) else ""


class TakedownRoute(BaseModel):
    """A removal channel for the sites under `domains` (each matches itself and subdomains).

    `url` is an https URL or a mailto: template. `{url}` (the page), `{image_url}` and `{date}`
    (first seen, YYYY-MM-DD UTC) are filled in URL-encoded. A mailto: without a query gets a
    neutral subject and body prefilled. `paths`, when given, limits the route to pages whose
    path starts with one of them (e.g. only the search pages of a search engine).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    domains: list[str] = Field(min_length=1)
    name: str = Field(min_length=1)
    url: str
    paths: list[str] = Field(default_factory=list)

    @field_validator("domains")
    @classmethod
    def _normalise_domains(cls, domains: list[str]) -> list[str]:
        normalised = []
        for domain in domains:
            any_tld = domain.strip().endswith(".*")
            bare = _ascii_host(domain.strip().removesuffix(".*").lstrip("*.").rstrip("."))
            if not bare:
                raise ValueError(
                    f"{domain!r} is not a domain; use a host name like 'example.com' "
                    "(subdomains are included) or 'google.*' for every country domain"
                )
            normalised.append(bare + ".*" if any_tld else bare)
        return normalised

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str) -> str:
        url = url.strip()
        if url.startswith("mailto:"):
            return url
        if url.startswith("https://") and urlsplit(url).hostname:
            return url
        raise ValueError(f"{url!r} is not a removal link; use an https:// URL or a mailto: address")

    @field_validator("paths")
    @classmethod
    def _check_paths(cls, paths: list[str]) -> list[str]:
        for path in paths:
            if not path.startswith("/"):
                raise ValueError(f"path {path!r} must start with '/', e.g. '/search'")
        return [path.lower() for path in paths]


def _route(domains: list[str], name: str, url: str, paths: Sequence[str] = ()) -> TakedownRoute:
    return TakedownRoute(domains=domains, name=name, url=url, paths=list(paths))


# Each URL was checked against the source named beside it (crawled copies, 2025-2026). Sites
# move these pages; a deployment fixes a stale one with a route in the config.
BUILTIN_ROUTES: Final[tuple[TakedownRoute, ...]] = (
    # support.google.com/websearch/answer/6302812: "Remove explicit or intimate personal images
    # from Google"; the request form is linked from that page.
    _route(
        ["google.*"],
        "Google Search: remove personal images from results",
        "https://support.google.com/websearch/answer/6302812",
        paths=["/search", "/imgres", "/images"],
    ),
    # Microsoft's concern portal page for this kind of imagery, as linked by Microsoft's own
    # NuGet abuse-report design (NuGet/Home, NuGetReportFormRedesign.md); it covers Bing results
    # and content shared on OneDrive.
    _route(
        ["bing.com", "onedrive.live.com", "1drv.ms"],
        "Microsoft / Bing: report content shared without consent",
        "https://www.microsoft.com/en-us/concern/revengeporn",
    ),
    # about.meta.com/actions/safety/topics/bullying-harassment/ncii: Meta's page on reporting
    # images shared without permission on Facebook, Instagram and Messenger.
    _route(
        [
            "facebook.com",
            "fb.com",
            "fbcdn.net",
            "instagram.com",
            "cdninstagram.com",
            "threads.net",
            "threads.com",
            "messenger.com",
        ],
        "Meta: report images shared without consent",
        "https://about.meta.com/actions/safety/topics/bullying-harassment/ncii",
    ),
    # help.x.com/en/rules-and-policies/us-tida: X's removal process (with the web form for
    # people without an account) and a link to its global policy.
    _route(
        ["x.com", "twitter.com", "twimg.com", "t.co"],
        "X: report content posted without consent",
        "https://help.x.com/en/rules-and-policies/us-tida",
    ),
    # reddit.com/report: Reddit's report form, which has a non-consensual media category and
    # works without an account (Reddit Rule 3, redditinc.com/policies/reddit-rules).
    _route(
        ["reddit.com", "redd.it", "redditmedia.com", "redditstatic.com"],
        "Reddit: report form (non-consensual media)",
        "https://www.reddit.com/report",
    ),
    # support.tiktok.com/<lang>/safety-hc/report-a-problem/report-sexual-abuse: TikTok's help
    # page with the web form for image-based abuse.
    _route(
        ["tiktok.com", "tiktokcdn.com"],
        "TikTok: report image-based abuse",
        "https://support.tiktok.com/en/safety-hc/report-a-problem/report-sexual-abuse",
    ),
    # support.google.com/youtube/answer/142443: YouTube privacy complaint process.
    _route(
        ["youtube.com", "youtu.be", "ytimg.com"],
        "YouTube: privacy complaint",
        "https://support.google.com/youtube/answer/142443",
    ),
    # values.snap.com/safety/safety-reporting: Snap's "Report a Safety Concern" page with the
    # reporting form that works without an account.
    _route(
        ["snapchat.com", "snap.com", "sc-cdn.net"],
        "Snapchat: report a safety concern",
        "https://values.snap.com/safety/safety-reporting",
    ),
    # discord.com/report: the public report form named in Discord's support article on
    # reporting non-consensual imagery (support.discord.com/hc/articles/38675715591831).
    _route(
        ["discord.com", "discord.gg", "discordapp.com", "discordapp.net"],
        "Discord: report form",
        "https://discord.com/report",
    ),
    # telegram.org/faq ("There's illegal content on Telegram. How do I take it down?"):
    # abuse@telegram.org for public channels, bots and groups.
    _route(
        ["telegram.org", "t.me", "telegram.me", "telegra.ph"],
        "Telegram: abuse email",
        "mailto:abuse@telegram.org",
    ),
    # pornhub.com/information/terms: "report such Content to us, using the electronic form
    # available at https://pornhub.com/content-removal" (Aylo's content removal request).
    _route(
        ["pornhub.com", "phncdn.com"],
        "Pornhub: content removal request",
        "https://www.pornhub.com/content-removal",
    ),
    # blog.onlyfans.com/reporting-on-onlyfans: OnlyFans' own guide to reporting content; no
    # public removal form could be confirmed.
    _route(
        ["onlyfans.com"],
        "OnlyFans: how to report content",
        "https://blog.onlyfans.com/reporting-on-onlyfans/",
    ),
    # tumblr.com/abuse/privacy: Tumblr's privacy report form (abuse@tumblr.com is the email
    # route, per esafety.gov.au's Tumblr guide).
    _route(
        ["tumblr.com", "tmblr.co"],
        "Tumblr: privacy report",
        "https://www.tumblr.com/abuse/privacy",
    ),
    # help.imgur.com/hc/en-us/requests/new: Imgur support's request form, which Imgur's help
    # articles point to for removals it cannot do through the in-app report.
    _route(
        ["imgur.com"],
        "Imgur: support request",
        "https://help.imgur.com/hc/en-us/requests/new",
    ),
    # help.pinterest.com/<lang>/article/report-something-on-pinterest, incl. reporting a photo
    # of yourself in a Pin.
    _route(
        ["pinterest.com", "pinimg.com", "pin.it"],
        "Pinterest: report a photo of you",
        "https://help.pinterest.com/en/article/report-something-on-pinterest",
    ),
    # help.vimeo.com/hc/en-us/articles/12427640658065: Vimeo's privacy claim guidelines and form.
    _route(
        ["vimeo.com", "vimeocdn.com"],
        "Vimeo: privacy claim",
        "https://help.vimeo.com/hc/en-us/articles/12427640658065-Guidelines-for-Privacy-Claims",
    ),
)


@dataclass(frozen=True)
class _Location:
    host: str  # ASCII (IDNA), lower case, no trailing dot; "" when the URL has no usable host
    path: str


class TakedownRegistry:
    """Picks the removal route for a sighting; built-in routes plus configured overrides."""

    def __init__(self, overrides: Sequence[TakedownRoute] = ()) -> None:
        self._routes: tuple[TakedownRoute, ...] = (*overrides, *BUILTIN_ROUTES)

    def route_for(self, *, page_url: str, image_url: str, seen_at: datetime) -> TakedownRoute:
        del seen_at  # the route depends on the site only; kept so both calls look alike
        return self._choose(page_url=page_url, image_url=image_url)[0]

    def site_route(self, *, page_url: str, image_url: str) -> TakedownRoute | None:
        """The site's own route (built in or configured); None when only abuse@host is left."""
        for location in (_locate(page_url), _locate(image_url)):
            route = self._best_route(location)
            if route is not None:
                return route
        return None

    def link_for(self, *, page_url: str, image_url: str, seen_at: datetime) -> str:
        route, host = self._choose(page_url=page_url, image_url=image_url)
        link = _fill_placeholders(
            route.url, page_url=page_url, image_url=image_url, seen_at=seen_at
        )
        if link.startswith("mailto:") and "?" not in link:
            subject, body = _removal_mail(
                host=host, page_url=page_url, image_url=image_url, seen_at=seen_at
            )
            link += f"?subject={quote(subject, safe='')}&body={quote(body, safe='')}"
        return link

    def _choose(self, *, page_url: str, image_url: str) -> tuple[TakedownRoute, str]:
        """The route and the host it was chosen for."""
        page = _locate(page_url)
        image = _locate(image_url)
        for location in (page, image):
            route = self._best_route(location)
            if route is not None:
                return route, location.host
        host = page.host or image.host
        return _abuse_mail_route(host), host

    def _best_route(self, location: _Location) -> TakedownRoute | None:
        if not location.host:
            return None
        best: TakedownRoute | None = None
        best_score = 0
        for route in self._routes:
            if route.paths and not location.path.startswith(tuple(route.paths)):
                continue
            score = max(
                (_specificity(location.host, domain) for domain in route.domains), default=0
            )
            if score > best_score:  # strict: earlier routes (overrides) win ties
                best, best_score = route, score
        return best


def _locate(url: str) -> _Location:
    text = url.strip()
    try:
        parts = urlsplit(text)
        first_segment = text.split("/", 1)[0].split(":", 1)[0]
        if not parts.netloc and "://" not in text and "." in first_segment:
            parts = urlsplit("//" + text)  # "example.com/page" without a scheme
        return _Location(host=_ascii_host(parts.hostname or ""), path=parts.path.lower())
    except ValueError:  # e.g. an unbalanced "[" in the host
        return _Location(host="", path="")


def _specificity(host: str, domain: str) -> int:
    """How many labels of `domain` matched `host` (0: no match)."""
    if domain.endswith(".*"):
        base = domain.removesuffix(".*").split(".")
        labels = host.split(".")
        for suffix_length in (1, 2):
            suffix = labels[-suffix_length:]
            head = labels[: len(labels) - suffix_length]
            if len(head) < len(base) or head[len(head) - len(base) :] != base:
                continue
            if suffix_length == 1 or (suffix[0] in _SECOND_LEVEL_LABELS and len(suffix[1]) == 2):
                return len(base) + 1
        return 0
    if host == domain or host.endswith("." + domain):
        return domain.count(".") + 1
    return 0


def _abuse_mail_route(host: str) -> TakedownRoute:
    if not host or _is_ip_address(host):
        # No address to write to; the prefilled message still saves the user the typing.
        return TakedownRoute(domains=["invalid"], name="Email (no site address)", url="mailto:")
    bare = host.removeprefix("www.")
    return TakedownRoute(
        domains=[bare], name=f"Site abuse contact ({bare})", url=f"mailto:abuse@{bare}"
    )


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _fill_placeholders(template: str, *, page_url: str, image_url: str, seen_at: datetime) -> str:
    values = {
        "{url}": page_url,
        "{image_url}": image_url,
        "{date}": format_utc(seen_at)[:10],
    }
    for placeholder, value in values.items():
        template = template.replace(placeholder, quote(value, safe=""))
    return template


def _removal_mail(
    *, host: str, page_url: str, image_url: str, seen_at: datetime
) -> tuple[str, str]:
    """Subject and body of a removal request; neutral, and nothing about the person shown."""
    site = host.removeprefix("www.") if host else "your site"
    lines = [
        "Hello,",
        "",
        f"I am asking you to remove content on {site}. It shows a person who did not consent "
        "to its publication.",
        "",
        f"Page: {_clip(page_url)}",
    ]
    if image_url and image_url != page_url:
        lines.append(f"Image: {_clip(image_url)}")
    lines += [f"First seen: {format_utc(seen_at)} (UTC)", "", "Thank you."]
    return f"Removal request for content on {site}", "\r\n".join(lines)


def _clip(url: str) -> str:
    url = re.sub(r"[\x00-\x1f\x7f]", "", url)
    return url if len(url) <= _MAX_URL_IN_MAIL else url[:_MAX_URL_IN_MAIL] + "..."
