"""A reverse image search source: where else are the images of confirmed sightings?

Seeds are the public image URLs of sightings a person confirmed (and any the user lists):
the victim's originals are never sent anywhere. Each seed is searched with each provider
(SerpApi's engines, TinEye) again only after `seed_every`, within the searches the accounts
have left. Every result becomes a page candidate and an image candidate: a search engine's
opinion never becomes a sighting by itself, the pipeline fetches and matches.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from functools import partial
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from monitor.durations import Duration
from monitor.fetch.client import Fetcher
from monitor.sources.base import Candidate, ConfiguredSource, SourceContext
from monitor.sources.fields import (
    ApiKeyText,
    HttpUrlText,
    SourceConfigBase,
    SourceName,
    check_http_url,
)
from monitor.sources.search_api import candidates_from
from monitor.sources.search_sweep import (
    Clock,
    PlannedSearch,
    QuotaCheck,
    SearchBudget,
    SearchLedger,
    SearchSweep,
    Sleep,
    utc_now,
)
from monitor.sources.serpapi import SERPAPI_ENDPOINT, ReverseEngine, SerpApiClient
from monitor.sources.tineye import TINEYE_ENDPOINT, TinEyeClient

logger = logging.getLogger(__name__)

ReverseProvider = Literal[
    "serpapi:google_lens",
    "serpapi:google_reverse_image",
    "serpapi:bing_reverse_image",
    "serpapi:yandex_images",
    "tineye",
]
_SERPAPI_ENGINES: dict[str, ReverseEngine] = {
    "serpapi:google_lens": "google_lens",
    "serpapi:google_reverse_image": "google_reverse_image",
    "serpapi:bing_reverse_image": "bing_reverse_image",
    "serpapi:yandex_images": "yandex_images",
}


class ReverseSourceConfig(SourceConfigBase):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["reverse"]
    name: SourceName
    providers: list[ReverseProvider] = Field(
        default_factory=lambda: list[ReverseProvider](["serpapi:google_lens"]),
        min_length=1,
        description='Where to search, e.g. ["serpapi:google_lens", "tineye"].',
    )
    urls: list[HttpUrlText] = Field(
        default_factory=list,
        description="Public image URLs to search besides those of confirmed sightings.",
    )
    serpapi_key: ApiKeyText | None = Field(default=None, description='e.g. "${SERPAPI_KEY}"')
    tineye_key: ApiKeyText | None = Field(default=None, description='e.g. "${TINEYE_API_KEY}"')
    serpapi_endpoint: HttpUrlText = SERPAPI_ENDPOINT
    tineye_endpoint: HttpUrlText = TINEYE_ENDPOINT
    seed_every: Duration = Field(
        default=timedelta(days=7), description="How long before a seed is searched again."
    )
    every: Duration = timedelta(hours=1)
    max_searches_per_sweep: int = Field(default=20, ge=1, le=10_000)
    max_rate_limit_wait: float = Field(
        default=30.0, ge=0, le=600, description="Seconds a sweep waits out a rate limit."
    )

    @model_validator(mode="after")
    def _keys_for_providers(self) -> ReverseSourceConfig:
        if self.serpapi_key is None and any(p in _SERPAPI_ENGINES for p in self.providers):
            raise ValueError(
                "providers use SerpApi but serpapi_key is not set; add "
                'serpapi_key = "${SERPAPI_KEY}" and export SERPAPI_KEY=...'
            )
        if self.tineye_key is None and "tineye" in self.providers:
            raise ValueError(
                "providers use TinEye but tineye_key is not set; add "
                'tineye_key = "${TINEYE_API_KEY}" and export TINEYE_API_KEY=...'
            )
        return self


class ReverseSource(ConfiguredSource[ReverseSourceConfig]):
    """Searches the web for the images of confirmed sightings; see the module docstring."""

    uses_context = True

    def __init__(
        self,
        config: ReverseSourceConfig,
        *,
        context: SourceContext,
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._config = config
        self._context = context
        self._clock = clock
        self._sleep = sleep
        self._serpapi = (
            SerpApiClient(
                endpoint=config.serpapi_endpoint,
                api_key=config.serpapi_key.get_secret_value(),
                key_setting=f'serpapi_key of source "{config.name}"',
            )
            if config.serpapi_key is not None
            else None
        )
        self._tineye = (
            TinEyeClient(
                endpoint=config.tineye_endpoint,
                api_key=config.tineye_key.get_secret_value(),
                key_setting=f'tineye_key of source "{config.name}"',
            )
            if config.tineye_key is not None
            else None
        )

    async def poll(self, fetcher: Fetcher) -> AsyncIterator[Candidate]:
        seeds = self._seeds()
        providers = list(dict.fromkeys(self._config.providers))
        ledger = SearchLedger(state=self._context.state, source=self.name)
        ledger.keep_only({provider: set(seeds) for provider in providers})
        if not seeds:
            logger.info("source %s: no confirmed sightings or urls to search yet", self.name)
            return
        sweep = SearchSweep(
            source=self.name,
            ledger=ledger,
            budget=SearchBudget(
                every=self._config.seed_every,
                max_searches=self._config.max_searches_per_sweep,
                max_wait=self._config.max_rate_limit_wait,
            ),
            quota_checks=self._quota_checks(),
            clock=self._clock,
            sleep=self._sleep,
        )
        planned = [self._planned(provider, seed) for seed in seeds for provider in providers]
        known = set(seeds)
        seen: set[Candidate] = set()
        async for _search, found in sweep.run(fetcher, planned):
            for candidate in candidates_from(found, source=self.name):
                if candidate.url in known or candidate in seen:
                    continue  # a seed is a sighting already; the pipeline checks it anyway
                seen.add(candidate)
                yield candidate

    def _seeds(self) -> list[str]:
        seeds: list[str] = []
        for url in [*self._context.confirmed_image_urls(), *self._config.urls]:
            try:
                check_http_url(url)
            except ValueError:
                logger.warning("source %s: seed %r is not a public URL; skipped", self.name, url)
                continue
            seeds.append(url)
        return list(dict.fromkeys(seeds))

    def _planned(self, provider: str, seed: str) -> PlannedSearch:
        if provider == "tineye":
            assert self._tineye is not None  # the config requires tineye_key
            return PlannedSearch(
                provider=provider,
                account="tineye",
                query=seed,
                label=seed,
                run=partial(self._tineye.search, image_url=seed),
            )
        assert self._serpapi is not None  # the config requires serpapi_key
        return PlannedSearch(
            provider=provider,
            account="serpapi",
            query=seed,
            label=seed,
            run=partial(
                self._serpapi.reverse_search, engine=_SERPAPI_ENGINES[provider], image_url=seed
            ),
        )

    def _quota_checks(self) -> Mapping[str, QuotaCheck]:
        checks: dict[str, QuotaCheck] = {}
        if self._serpapi is not None:
            checks["serpapi"] = self._serpapi.searches_left
        if self._tineye is not None:
            checks["tineye"] = self._tineye.searches_left
        return checks
