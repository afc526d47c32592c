"""One sweep of one source: candidates -> fetch -> fingerprint -> match -> evidence + outbox.

Every candidate fails alone: a fetch or decode error is recorded against its URL with the
reason, and the sweep goes on. Each sighting is committed with its outbox row before the next
candidate is taken, so a crash loses nothing already seen.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from monitor.alerts.takedown import TakedownRegistry
from monitor.allowlist import AllowList
from monitor.config import ScanSettings
from monitor.errors import FeedError, FetchError, ImageError, MonitorError
from monitor.exclusions import reason_not_to_record
from monitor.fetch.client import Fetcher, FetchResult
from monitor.fetch.extract import extract_page, has_video_extension
from monitor.fingerprint import MatchIndex, MatchSettings, fingerprint_candidate
from monitor.fingerprint.client_index import ClientMatchIndex
from monitor.fingerprint.hashes import Hash
from monitor.fingerprint.suppression import SuppressionIndex
from monitor.fingerprint.video import (
    VideoMatchRule,
    fingerprint_candidate_video,
    is_video_fingerprint,
    match_video,
)
from monitor.fingerprint.video_decode import VideoLimits, video_container
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
from monitor.store.suppressions import load_suppressions

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _SweepState:
    source: str
    started_at: datetime
    matcher: Matcher
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
    # Images each client's reviewers dismissed: matches of them are not recorded again.
    suppressions: SuppressionIndex = field(
        default_factory=lambda: SuppressionIndex((), settings=MatchSettings())
    )

    @classmethod
    def load(
        cls,
        db: Database,
        *,
        settings: MatchSettings,
        settings_for: Callable[[str], MatchSettings] | None = None,
    ) -> Matcher:
        """`settings_for`: client id -> its match thresholds (its profile); `settings` for all
        clients when not given."""
        entries = load_index_entries(db)
        return cls(
            index=MatchIndex(entries, settings=settings)
            if settings_for is None
            else ClientMatchIndex(entries, settings_for=settings_for),
            item_digests=load_item_digests(db),
            suppressions=SuppressionIndex(load_suppressions(db), settings=settings),
        )

    def matches(self, hashes: tuple[Hash, ...], sha256: str) -> list[tuple[str, int, str, int]]:
        """(client, item, algorithm, distance) for each enrolled item these bytes show."""
        found: dict[tuple[str, int], tuple[str, int]] = {}
        for client_id, item_id in self.item_digests.get(sha256, ()):
            found[(client_id, item_id)] = ("sha256", 0)
        if is_video_fingerprint(hashes):  # a video: enough of its frames must match one item
            videos = match_video(self.index, hashes, rule=VideoMatchRule())
            evidence = [(v.client_id, v.item_id, v.evidence, v.distance) for v in videos]
        else:
            images = self.index.match(hashes)
            evidence = [(m.client_id, m.item_id, m.algorithm, m.distance) for m in images]
        for client_id, item_id, algorithm, distance in evidence:
            found.setdefault((client_id, item_id), (algorithm, distance))
        return [
            (client, item, algorithm, distance)
            for (client, item), (algorithm, distance) in found.items()
        ]


@dataclass(frozen=True)
class PageVisit:
    """Where one page leads: images to check, next pages of its listing, links one hop deeper."""

    images: tuple[Candidate, ...] = ()
    next_pages: tuple[Candidate, ...] = ()
    links: tuple[Candidate, ...] = ()


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
        source_clients: Mapping[str, frozenset[str]] | None = None,
        allow_lists: Mapping[str, AllowList] | None = None,
        matching_for: Callable[[str], MatchSettings] | None = None,
        clock: Clock = utc_now,
    ) -> None:
        """`source_clients`: source name -> the only clients whose fingerprints that source's
        finds are matched against (a client's own source); sources not named are shared."""
        self._db = db
        self._fetcher = fetcher
        self._scan = scan
        self._matching = matching
        self._matching_for = matching_for  # per-client profiles; `matching` for all when None
        self._max_pixels = max_pixels
        self._takedown = takedown
        self._clock = clock
        self._source_clients = dict(source_clients or {})
        self._allow_lists = dict(allow_lists or {})  # client id -> her own pages and domains
        self._video_limits = VideoLimits.for_seconds(
            fetcher.settings.max_video_seconds,
            max_pixels=fetcher.settings.max_video_pixels,
            max_decode_seconds=fetcher.settings.max_video_decode_seconds,
        )

    async def sweep(self, source: Source) -> SweepSummary:
        started_at = self._clock()
        sweep_id = start_sweep(self._db, source=source.name, at=started_at)
        state = _SweepState(
            source=source.name,
            started_at=started_at,
            matcher=Matcher.load(
                self._db, settings=self._matching, settings_for=self._matching_for
            ),
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
                    self._follow(state, candidate, await self.visit_page(candidate))
                else:
                    new_sightings = await self.check_image(candidate, matcher=state.matcher)
                    state.images += 1
                    state.new_sightings += new_sightings
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

    def _follow(self, state: _SweepState, candidate: Candidate, visit: PageVisit) -> None:
        state.pages += 1
        for found in visit.images:
            self._enqueue(state, found)
        # Only the first next page not yet seen is followed, so a listing costs at most
        # `max_pages` pages.
        unseen = [page for page in visit.next_pages if page.url not in state.pages_seen]
        if unseen:
            self._enqueue(state, unseen[0])
        for link in visit.links:
            self._enqueue(state, link)

    async def visit_page(self, candidate: Candidate) -> PageVisit:
        """Stage: fetch one page and say what it leads to. Dedup is the caller's job."""
        if has_video_extension(candidate.url):  # a feed entry or link to a video file
            return PageVisit(images=(replace(candidate, kind="video", depth=0, pages_left=0),))
        known = get_page_state(self._db, candidate.url)
        # The stored page state has no next-page links: a page to paginate from is fetched whole.
        conditional = candidate.pages_left == 0
        result = await self._fetcher.fetch_page(
            candidate.url,
            etag=known.etag if known and conditional else None,
            last_modified=known.last_modified if known and conditional else None,
        )
        if result.headers.get("content-type", "").startswith("image/"):
            # A feed entry or link that points straight at an image: check it as one.
            return PageVisit(
                images=(
                    Candidate(
                        url=candidate.url,
                        kind="image",
                        source=candidate.source,
                        page_url=candidate.page_url,
                    ),
                )
            )
        next_pages: tuple[str, ...] = ()
        videos: tuple[str, ...] = ()  # not in the page state: a 304 page's are not checked
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
            videos = found.videos[: self._scan.max_images_per_page]
            save_page_state(
                self._db,
                url=candidate.url,
                checked_at=result.fetched_at,
                etag=result.etag,
                last_modified=result.last_modified,
                images=images,
                links=links,
            )
        return PageVisit(
            images=tuple(
                Candidate(url=url, kind="image", source=candidate.source, page_url=candidate.url)
                for url in images
            )
            + tuple(
                Candidate(url=url, kind="video", source=candidate.source, page_url=candidate.url)
                for url in videos
            ),
            # Pagination is not a hop deeper: the next page keeps the depth.
            next_pages=tuple(
                replace(candidate, url=url, page_url=url, pages_left=candidate.pages_left - 1)
                for url in next_pages
            )
            if candidate.pages_left > 0
            else (),
            links=tuple(
                Candidate(
                    url=link,
                    kind="page",
                    source=candidate.source,
                    page_url=link,
                    depth=candidate.depth - 1,
                )
                for link in links
            )
            if candidate.depth > 0
            else (),
        )

    async def check_image(self, candidate: Candidate, *, matcher: Matcher) -> int:
        """Stage: fetch, fingerprint and match one image; record sightings. Returns how many
        are new. Idempotent on (URL, content digest): the digest cache skips known bytes, and a
        sighting is unique in the database."""
        if candidate.kind == "video":
            result = await self._fetcher.fetch_video(candidate.url)
        else:
            result = await self._fetcher.fetch_image(candidate.url)
        sha256 = hashlib.sha256(result.body).hexdigest()
        hashes = await self._fingerprint(result, sha256=sha256)
        save_image_state(self._db, url=candidate.url, checked_at=result.fetched_at, sha256=sha256)
        new_sightings = 0
        owners = self._source_clients.get(candidate.source)
        matches = matcher.matches(hashes, sha256)
        near = matcher.suppressions.near(hashes) if matches and matcher.suppressions else {}
        for client_id, item_id, algorithm, distance in matches:
            if owners is not None and client_id not in owners:
                continue  # found by another client's own source: not theirs to see
            skip = reason_not_to_record(
                client_id=client_id,
                urls=(candidate.page_url, candidate.url, result.final_url),
                allow_list=self._allow_lists.get(client_id),
                suppressions=matcher.suppressions,
                near=near,
                sha256=sha256,
                algorithm=algorithm,
                distance=distance,
            )
            if skip is not None:
                log.info("%s not recorded for client %s: %s", candidate.url, client_id, skip)
                continue
            recorded = record_sighting(
                self._db,
                observation=Observation(
                    client_id=client_id,
                    item_id=item_id,
                    image_url=candidate.url,
                    page_url=candidate.page_url,
                    final_url=result.final_url,
                    source=candidate.source,
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
                new_sightings += 1
                log.info("new sighting %d for client %s", recorded.sighting.id, client_id)
        return new_sightings

    async def _fingerprint(self, result: FetchResult, *, sha256: str) -> tuple[Hash, ...]:
        known = get_digest(self._db, sha256)
        if known is not None:
            hashes, error = known
            if hashes is None:
                raise ImageError(error or "could not be fingerprinted before")
            return hashes
        try:
            if video_container(result.body) is not None:  # also a video behind an image URL
                hashes = await asyncio.to_thread(
                    fingerprint_candidate_video, result.body, limits=self._video_limits
                )
            else:
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
