"""One sweep of one source: candidates -> fetch -> fingerprint -> match -> evidence + outbox.

Every candidate fails alone: a fetch or decode error is recorded against its URL with the
reason, and the sweep goes on. Each sighting is committed with its outbox row before the next
candidate is taken, so a crash loses nothing already seen.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from monitor.alerts.takedown import TakedownRegistry
from monitor.config import ScanSettings
from monitor.errors import FeedError, FetchError, ImageError, MonitorError
from monitor.fetch.client import Fetcher, FetchResult
from monitor.fetch.extract import extract_page
from monitor.fingerprint import MatchIndex, MatchSettings, fingerprint_candidate
from monitor.fingerprint.hashes import Hash
from monitor.sources.base import Candidate, Source
from monitor.store import Database
from monitor.store.clients import load_index_entries, load_item_digests
from monitor.store.crawl import (
    finish_sweep,
    get_digest,
    get_page_state,
    is_known_url,
    record_url_error,
    save_digest,
    save_image_state,
    save_page_state,
    start_sweep,
)
from monitor.store.records import Observation, SweepSummary
from monitor.store.sightings import record_sighting

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _SweepState:
    source: str
    started_at: datetime
    index: MatchIndex
    item_digests: dict[str, list[tuple[str, int]]]
    queue: asyncio.Queue[Candidate] = field(default_factory=asyncio.Queue)
    pages_seen: set[str] = field(default_factory=set)
    images_seen: set[str] = field(default_factory=set)
    candidates: int = 0
    polled_urls: set[str] = field(default_factory=set)
    new_candidates: int = 0
    pages: int = 0
    images: int = 0
    new_sightings: int = 0
    failures: int = 0


@dataclass(frozen=True)
class Matcher:
    """The enrolled fingerprints of every client, loaded once per sweep."""

    index: MatchIndex
    item_digests: dict[str, list[tuple[str, int]]]

    @classmethod
    def load(cls, db: Database, *, settings: MatchSettings) -> Matcher:
        return cls(
            index=MatchIndex(load_index_entries(db), settings=settings),
            item_digests=load_item_digests(db),
        )


class Pipeline:
    def __init__(
        self,
        *,
        db: Database,
        fetcher: Fetcher,
        scan: ScanSettings,
        matching: MatchSettings,
        max_pixels: int,
        takedown: TakedownRegistry,
        clock: Clock = utc_now,
    ) -> None:
        self._db = db
        self._fetcher = fetcher
        self._scan = scan
        self._matching = matching
        self._max_pixels = max_pixels
        self._takedown = takedown
        self._clock = clock

    async def sweep(self, source: Source) -> SweepSummary:
        started_at = self._clock()
        sweep_id = start_sweep(self._db, source=source.name, at=started_at)
        matcher = Matcher.load(self._db, settings=self._matching)
        state = _SweepState(
            source=source.name,
            started_at=started_at,
            index=matcher.index,
            item_digests=matcher.item_digests,
        )
        error: str | None = None
        workers = [asyncio.create_task(self._work(state)) for _ in range(self._scan.workers)]
        try:
            try:
                async for candidate in source.poll(self._fetcher):
                    state.candidates += 1
                    self._count_if_new(state, candidate)
                    self._enqueue(state, candidate)
            except (FetchError, FeedError) as failure:
                error = str(failure)
                log.warning("source %s could not be read: %s", source.name, failure)
            await state.queue.join()
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        summary = SweepSummary(
            source=source.name,
            started_at=started_at,
            finished_at=self._clock(),
            candidates=state.candidates,
            new_candidates=state.new_candidates,
            pages=state.pages,
            images=state.images,
            new_sightings=state.new_sightings,
            failures=state.failures,
            error=error,
        )
        finish_sweep(self._db, sweep_id=sweep_id, summary=summary)
        return summary

    def _count_if_new(self, state: _SweepState, candidate: Candidate) -> None:
        if candidate.url not in state.polled_urls:
            state.polled_urls.add(candidate.url)
            if not is_known_url(self._db, candidate.url):
                state.new_candidates += 1

    def _enqueue(self, state: _SweepState, candidate: Candidate) -> None:
        if candidate.kind == "page":
            if candidate.url in state.pages_seen or len(state.pages_seen) >= self._scan.max_pages:
                return
            state.pages_seen.add(candidate.url)
        else:
            if candidate.url in state.images_seen:
                return
            state.images_seen.add(candidate.url)
        state.queue.put_nowait(candidate)

    async def _work(self, state: _SweepState) -> None:
        while True:
            candidate = await state.queue.get()
            try:
                if candidate.kind == "page":
                    await self._visit_page(state, candidate)
                else:
                    await self._check_image(state, candidate)
            except MonitorError as failure:  # fetch, decode or store: this candidate only
                state.failures += 1
                reason = failure.reason if isinstance(failure, FetchError) else str(failure)
                log.info("%s %s skipped: %s", candidate.kind, candidate.url, reason)
                record_url_error(
                    self._db,
                    url=candidate.url,
                    kind=candidate.kind,
                    reason=reason,
                    at=self._clock(),
                )
            except Exception:
                state.failures += 1
                log.exception("unexpected error on %s %s", candidate.kind, candidate.url)
                record_url_error(
                    self._db,
                    url=candidate.url,
                    kind=candidate.kind,
                    reason="internal error; see the monitor's log",
                    at=self._clock(),
                )
            finally:
                state.queue.task_done()

    async def _visit_page(self, state: _SweepState, candidate: Candidate) -> None:
        known = get_page_state(self._db, candidate.url)
        # The stored page state has no next-page links: a page to paginate from is fetched whole.
        conditional = candidate.pages_left == 0
        result = await self._fetcher.fetch_page(
            candidate.url,
            etag=known.etag if known and conditional else None,
            last_modified=known.last_modified if known and conditional else None,
        )
        state.pages += 1
        if result.headers.get("content-type", "").startswith("image/"):
            # A feed entry or link that points straight at an image: check it as one.
            self._enqueue(
                state,
                Candidate(
                    url=candidate.url,
                    kind="image",
                    source=state.source,
                    page_url=candidate.page_url,
                ),
            )
            return
        next_pages: tuple[str, ...] = ()
        if result.not_modified and known is not None:
            images, links = known.images, known.links
        else:
            found = await asyncio.to_thread(
                extract_page,
                result.body,
                page_url=result.final_url,
                content_type=result.headers.get("content-type"),
            )
            images = found.images[: self._scan.max_images_per_page]
            links = found.links
            next_pages = found.next_pages
            save_page_state(
                self._db,
                url=candidate.url,
                checked_at=result.fetched_at,
                etag=result.etag,
                last_modified=result.last_modified,
                images=images,
                links=links,
            )
        for image_url in images:
            self._enqueue(
                state,
                Candidate(url=image_url, kind="image", source=state.source, page_url=candidate.url),
            )
        if candidate.pages_left > 0:
            # Pagination is not a hop deeper: the next page keeps the depth; only the first
            # next page not yet seen is followed, so a listing costs at most `max_pages` pages.
            unseen = [url for url in next_pages if url not in state.pages_seen]
            if unseen:
                self._enqueue(
                    state,
                    replace(
                        candidate,
                        url=unseen[0],
                        page_url=unseen[0],
                        pages_left=candidate.pages_left - 1,
                    ),
                )
        if candidate.depth > 0:
            for link in links:
                self._enqueue(
                    state,
                    Candidate(
                        url=link,
                        kind="page",
                        source=state.source,
                        page_url=link,
                        depth=candidate.depth - 1,
                    ),
                )

    async def _check_image(self, state: _SweepState, candidate: Candidate) -> None:
        result = await self._fetcher.fetch_image(candidate.url)
        state.images += 1
        sha256 = hashlib.sha256(result.body).hexdigest()
        hashes = await self._fingerprint(result, sha256=sha256)
        save_image_state(self._db, url=candidate.url, checked_at=result.fetched_at, sha256=sha256)
        for client_id, item_id, algorithm, distance in self._matches(state, hashes, sha256):
            recorded = record_sighting(
                self._db,
                observation=Observation(
                    client_id=client_id,
                    item_id=item_id,
                    image_url=candidate.url,
                    page_url=candidate.page_url,
                    final_url=result.final_url,
                    source=state.source,
                    seen_at=result.fetched_at,
                    distance=distance,
                    algorithm=algorithm,
                    sha256=sha256,
                    http_status=result.status,
                    headers=result.headers,
                ),
                takedown_url=self._takedown.link_for(
                    page_url=candidate.page_url, image_url=candidate.url, seen_at=result.fetched_at
                ),
            )
            if recorded.is_new:
                state.new_sightings += 1
                log.info("new sighting %d for client %s", recorded.sighting.id, client_id)

    async def _fingerprint(self, result: FetchResult, *, sha256: str) -> tuple[Hash, ...]:
        known = get_digest(self._db, sha256)
        if known is not None:
            hashes, error = known
            if hashes is None:
                raise ImageError(error or "could not be fingerprinted before")
            return hashes
        try:
            hashes = await asyncio.to_thread(
                fingerprint_candidate, result.body, max_pixels=self._max_pixels
            )
        except ImageError as failure:
            save_digest(
                self._db, sha256=sha256, at=result.fetched_at, hashes=None, error=str(failure)
            )
            raise
        save_digest(self._db, sha256=sha256, at=result.fetched_at, hashes=hashes, error=None)
        return hashes

    def _matches(
        self, state: _SweepState, hashes: tuple[Hash, ...], sha256: str
    ) -> list[tuple[str, int, str, int]]:
        found: dict[tuple[str, int], tuple[str, int]] = {}
        for client_id, item_id in state.item_digests.get(sha256, ()):
            found[(client_id, item_id)] = ("sha256", 0)
        for match in state.index.match(hashes):
            found.setdefault((match.client_id, match.item_id), (match.algorithm, match.distance))
        return [
            (client, item, algorithm, distance)
            for (client, item), (algorithm, distance) in found.items()
        ]
