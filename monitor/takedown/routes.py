"""The ways to ask for a sighting's removal, and which one a sighting gets by default.

The platform's own NCII or privacy report comes first where the site has one: it is the fastest
route and it does not hand the victim's name to the uploader. A DMCA notice is the last resort:
platforms forward it to the uploader and may publish it (for example to the Lumen database) with
the sender's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

from monitor.alerts.takedown import TakedownRegistry
from monitor.store.records import Sighting


class Delivery(StrEnum):
    FORM = "form"  # paste the text into a web form at `destination`
    EMAIL = "email"  # send the text to the address in `destination`


@dataclass(frozen=True)
class RouteInfo:
    name: str
    title: str
    warning: str | None = None


PLATFORM: Final = "platform"
GOOGLE_DELISTING: Final = "google-delisting"
BING_DELISTING: Final = "bing-delisting"
EMAIL: Final = "email"
DMCA: Final = "dmca"
JAPAN: Final = "japan"

DMCA_WARNING: Final = (
    "A DMCA notice is usually forwarded to the uploader and can be published (for example in the "
    "Lumen database) with the sender's name and contact details. Prefer the platform's own report "
    "(--route platform) or a search delisting request, which do not expose the person; send a "
    "DMCA notice only if those failed, and consider having a lawyer or organisation send it."
)

ROUTES: Final[dict[str, RouteInfo]] = {
    route.name: route
    for route in (
        RouteInfo(PLATFORM, "the site's own report for intimate images shared without consent"),
        RouteInfo(GOOGLE_DELISTING, "Google Search: remove the page from search results"),
        RouteInfo(BING_DELISTING, "Bing: remove the page from search results"),
        RouteInfo(EMAIL, "an email notice to the host's abuse contact"),
        RouteInfo(DMCA, "a DMCA copyright notice (United States)", warning=DMCA_WARNING),
        RouteInfo(
            JAPAN,
            "Japan: transmission prevention measures request (送信防止措置依頼) to the provider",
        ),
    )
}

# Google's help page "Remove non-consensual explicit or intimate personal images from Google",
# from which its request form is linked; Microsoft's report page for Bing and its services.
GOOGLE_DELISTING_URL: Final = "https://support.google.com/websearch/answer/6302812"
BING_DELISTING_URL: Final = "https://www.microsoft.com/en-us/concern/revengeporn"


@dataclass(frozen=True)
class Destination:
    delivery: Delivery
    address: str  # a URL for a form, an email address for email
    via: str  # a human description of the channel


def default_route(sighting: Sighting, registry: TakedownRegistry) -> str:
    """The platform's own report where the site has one, else the abuse contact by email."""
    return PLATFORM if _platform_route_name(sighting, registry) is not None else EMAIL


def destination_for(route: str, sighting: Sighting, registry: TakedownRegistry) -> Destination:
    if route == PLATFORM:
        name = _platform_route_name(sighting, registry)
        if name is None:
            return _abuse_mailbox(sighting, via="no report form is known for this site")
        link = registry.link_for(
            page_url=sighting.page_url, image_url=sighting.image_url, seen_at=sighting.first_seen
        )
        if link.startswith("mailto:"):
            address = link.removeprefix("mailto:").split("?", 1)[0]
            return Destination(Delivery.EMAIL, address, name)
        return Destination(Delivery.FORM, link, name)
    if route == GOOGLE_DELISTING:
        return Destination(Delivery.FORM, GOOGLE_DELISTING_URL, ROUTES[route].title)
    if route == BING_DELISTING:
        return Destination(Delivery.FORM, BING_DELISTING_URL, ROUTES[route].title)
    return _abuse_mailbox(sighting, via=ROUTES[route].title)


def site_of(sighting: Sighting) -> str:
    host = urlsplit(sighting.page_url).hostname or urlsplit(sighting.image_url).hostname or ""
    return host.removeprefix("www.")


def _platform_route_name(sighting: Sighting, registry: TakedownRegistry) -> str | None:
    route = registry.site_route(page_url=sighting.page_url, image_url=sighting.image_url)
    return None if route is None else route.name


def _abuse_mailbox(sighting: Sighting, *, via: str) -> Destination:
    site = site_of(sighting)
    address = f"abuse@{site}" if site else ""
    return Destination(Delivery.EMAIL, address, via)
