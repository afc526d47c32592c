"""A keyword search source: web and image search through SerpApi.

The victim's name or usernames are how doxxing posts are found. Each query is searched with
each engine (`google` for pages, `google_images` for images with their pages) again only after
`query_every`, within the searches the account has left; result pages and images become
candidates that the pipeline fetches and matches like any other.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from monitor.durations import Duration
from monitor.fetch.client import Fetcher
from monitor.sources.base import Candidate, ConfiguredSource, SourceContext
from monitor.sources.fields import ApiKeyText, HttpUrlText, SourceConfigBase, SourceName
from monitor.sources.search_api import candidates_from
from monitor.sources.search_sweep import (
    Clock,
    PlannedSearch,
    SearchBudget,
    SearchLedger,
    SearchSweep,
    Sleep,
    utc_now,
)
from monitor.sources.serpapi import SERPAPI_ENDPOINT, KeywordEngine, SerpApiClient

SearchQuery = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class SearchSourceConfig(SourceConfigBase):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["search"]
    name: SourceName
    queries: list[SearchQuery] = Field(
        min_length=1, description='What to search for, e.g. ["\\"Jane Doe\\"", "janedoe99"].'
    )
    engines: list[KeywordEngine] = Field(
        default_factory=lambda: list[KeywordEngine](["google", "google_images"]), min_length=1
    )
    serpapi_key: ApiKeyText = Field(description='e.g. "${SERPAPI_KEY}"')
    endpoint: HttpUrlText = SERPAPI_ENDPOINT
    query_every: Duration = Field(
        default=timedelta(days=1), description="How long before a query is searched again."
    )
    every: Duration = timedelta(hours=1)
    max_searches_per_sweep: int = Field(default=20, ge=1, le=10_000)
    max_rate_limit_wait: float = Field(
        default=30.0, ge=0, le=600, description="Seconds a sweep waits out a rate limit."
    )


class SearchSource(ConfiguredSource[SearchSourceConfig]):
    """Searches SerpApi for the configured queries; see the module docstring."""

    uses_context = True

    def __init__(
        self,
        config: SearchSourceConfig,
        *,
        context: SourceContext,
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._config = config
        self._context = context
        self._clock = clock
        self._sleep = sleep
        self._serpapi = SerpApiClient(
            endpoint=config.endpoint,
            api_key=config.serpapi_key.get_secret_value(),
            key_setting=f'serpapi_key of source "{config.name}"',
        )

    async def poll(self, fetcher: Fetcher) -> AsyncIterator[Candidate]:
        queries = list(dict.fromkeys(self._config.queries))
        providers = {f"serpapi:{engine}": engine for engine in self._config.engines}
        ledger = SearchLedger(state=self._context.state, source=self.name)
        ledger.keep_only({provider: set(queries) for provider in providers})
        sweep = SearchSweep(
            source=self.name,
            ledger=ledger,
            budget=SearchBudget(
                every=self._config.query_every,
                max_searches=self._config.max_searches_per_sweep,
                max_wait=self._config.max_rate_limit_wait,
            ),
            quota_checks={"serpapi": self._serpapi.searches_left},
            clock=self._clock,
            sleep=self._sleep,
        )
        planned = [
            PlannedSearch(
                provider=provider,
                account="serpapi",
                query=query,
                label=f"query {number}",
                run=partial(self._serpapi.keyword_search, engine=engine, query=query),
            )
            for number, query in enumerate(queries, start=1)
            for provider, engine in providers.items()
        ]
        seen: set[Candidate] = set()
        async for _search, found in sweep.run(fetcher, planned):
            for candidate in candidates_from(found, source=self.name):
                if candidate not in seen:
                    seen.add(candidate)
                    yield candidate
