"""Where the monitor looks: one module per kind of source, all following `Source`.

To add a kind: write its config model (with a `kind` literal) and its source class in a new
module, add the config to `SourceConfig` and the pair to `SOURCE_TYPES`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, Field

from monitor.sources.base import Candidate, CandidateKind, Source, SourceContext
from monitor.sources.feed import FeedSource, FeedSourceConfig
from monitor.sources.mastodon import MastodonSource, MastodonSourceConfig
from monitor.sources.pages import PagesSource, PagesSourceConfig
from monitor.sources.reddit import RedditSource, RedditSourceConfig
from monitor.sources.reverse import ReverseSource, ReverseSourceConfig
from monitor.sources.search import SearchSource, SearchSourceConfig
from monitor.sources.sitemap import SitemapSource, SitemapSourceConfig

SourceConfig = Annotated[
    PagesSourceConfig
    | FeedSourceConfig
    | ReverseSourceConfig
    | SearchSourceConfig
    | SitemapSourceConfig
    | RedditSourceConfig
    | MastodonSourceConfig,
    Field(discriminator="kind"),
]
"""One `[[sources]]` table of the config; `kind` picks the model."""

SOURCE_TYPES: tuple[tuple[type[BaseModel], Callable[..., Source]], ...] = (
    (PagesSourceConfig, PagesSource),
    (FeedSourceConfig, FeedSource),
    (ReverseSourceConfig, ReverseSource),
    (SearchSourceConfig, SearchSource),
    (SitemapSourceConfig, SitemapSource),
    (RedditSourceConfig, RedditSource),
    (MastodonSourceConfig, MastodonSource),
)


def build_source(config: SourceConfig, *, context: SourceContext | None = None) -> Source:
    """The source for one `[[sources]]` table. Sources that keep checkpoints or need seeds take
    `context` as a keyword argument; the others take only their config."""
    for config_type, source_type in SOURCE_TYPES:
        if isinstance(config, config_type):
            if getattr(source_type, "uses_context", False):
                return source_type(config, context=context or SourceContext())
            return source_type(config)
    raise TypeError(f"no source type is registered for {type(config).__name__}")


__all__ = [
    "SOURCE_TYPES",
    "Candidate",
    "CandidateKind",
    "FeedSource",
    "FeedSourceConfig",
    "MastodonSource",
    "MastodonSourceConfig",
    "PagesSource",
    "PagesSourceConfig",
    "RedditSource",
    "RedditSourceConfig",
    "ReverseSource",
    "ReverseSourceConfig",
    "SearchSource",
    "SearchSourceConfig",
    "SitemapSource",
    "SitemapSourceConfig",
    "Source",
    "SourceConfig",
    "SourceContext",
    "build_source",
]
