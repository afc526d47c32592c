"""Wires the parts together from the settings: the service layer the command line calls."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from monitor.alerts.apprise_notifier import AppriseNotifier
from monitor.alerts.delivery import AlertDelivery, DeliveryReport
from monitor.alerts.follow_up_delivery import FollowUpAlertDelivery
from monitor.alerts.outages import OutageAlerts
from monitor.alerts.takedown import TakedownRegistry
from monitor.allowlist import AllowList
from monitor.capture.runner import CaptureClient, CaptureSummary, capture_owed
from monitor.config import Settings
from monitor.fetch.client import Fetcher
from monitor.follow_up.runner import FollowThrough
from monitor.pipeline import Pipeline, utc_now
from monitor.sources import SourceContext, build_source
from monitor.store import Database, open_database
from monitor.store.clients import list_clients
from monitor.store.records import SweepSummary
from monitor.store.sightings import confirmed_image_urls
from monitor.store.source_state import DatabaseSourceState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanReport:
    sweeps: list[SweepSummary]
    delivery: DeliveryReport


class Monitor:
    """One running monitor: database, fetch client, pipeline and alert delivery."""

    def __init__(
        self, *, settings: Settings, db: Database, fetcher: Fetcher, clock: Callable[[], datetime]
    ) -> None:
        self.settings = settings
        self.db = db
        self.fetcher = fetcher
        self.clock = clock
        self.pipeline = Pipeline(
            db=db,
            fetcher=fetcher,
            scan=settings.scan,
            matching=settings.matching,
            matching_for=settings.matching_for,
            max_pixels=settings.fetch.max_pixels,
            takedown=TakedownRegistry(settings.alerts.takedown),
            source_clients={
                source.name: frozenset(source.clients)
                for source in settings.sources
                if source.clients
            },
            allow_lists={
                client.id: AllowList.parse(client.allow)
                for client in settings.clients
                if client.allow
            },
            clock=clock,
        )
        _warn_about_unknown_owners(settings, db)
        self.delivery = AlertDelivery(
            db=db,
            notifier=AppriseNotifier(),
            config_urls=settings.notify_urls_for,
            retry_first=settings.alerts.retry_first,
            retry_max=settings.alerts.retry_max,
            clock=clock,
        )
        self.follow_up = FollowThrough(
            db=db,
            fetcher=fetcher,
            settings=settings.follow_up,
            matching=settings.matching,
            max_pixels=settings.fetch.max_pixels,
            fetch_timeout=settings.fetch.total_timeout,
            clock=clock,
        )
        self.follow_up_alerts = FollowUpAlertDelivery(
            db=db,
            notifier=AppriseNotifier(),
            config_urls=settings.notify_urls_for,
            retry_first=settings.alerts.retry_first,
            retry_max=settings.alerts.retry_max,
            clock=clock,
        )
        self.outage_alerts = OutageAlerts(
            db=db, settings=settings.operator, notifier=AppriseNotifier(), clock=clock
        )
        context = SourceContext(
            state=DatabaseSourceState(db), confirmed_image_urls=lambda: confirmed_image_urls(db)
        )
        self.sources = {
            config.name: build_source(config, context=context) for config in settings.sources
        }

    async def sweep(self, source_name: str) -> SweepSummary:
        summary = await self.pipeline.sweep(self.sources[source_name])
        log.info(
            "sweep of %s: %d candidates, %d pages, %d images, %d new sightings, %d failures%s",
            summary.source,
            summary.candidates,
            summary.pages,
            summary.images,
            summary.new_sightings,
            summary.failures,
            f", source error: {summary.error}" if summary.error else "",
        )
        await self.outage_alerts.after_sweep(source_name)
        return summary

    async def capture_owed(self) -> CaptureSummary:
        """Capture the pages of new sightings of the clients that asked for captures."""
        clients = [
            CaptureClient(client_id=client_id, age_recipient=recipient)
            for client_id, recipient in self.settings.capture_clients()
        ]
        if not clients:
            return CaptureSummary(sightings=0, made=0, failed=0)
        return await capture_owed(
            db=self.db,
            settings=self.settings.captures,
            clients=clients,
            fetcher=self.fetcher,
            now=self.clock(),
        )

    async def scan(self, *, only: str | None = None) -> ScanReport:
        names = [only] if only is not None else list(self.sources)
        sweeps = [await self.sweep(name) for name in names]
        delivery = await self.delivery.deliver_due()
        await self.capture_owed()  # after the alerts: a slow page must not delay them
        return ScanReport(sweeps=sweeps, delivery=delivery)


def _warn_about_unknown_owners(settings: Settings, db: Database) -> None:
    known = {client.id for client in list_clients(db)}
    for source in settings.sources:
        for client_id in sorted(set(source.clients) - known):
            log.warning(
                "source %s belongs to client %s, who is not in the database: it matches nothing "
                "until `monitor client add %s`, or take %s out of its `clients`",
                source.name,
                client_id,
                client_id,
                client_id,
            )


@asynccontextmanager
async def running_monitor(
    settings: Settings, *, clock: Callable[[], datetime] = utc_now
) -> AsyncIterator[Monitor]:
    db = open_database(settings.storage.url)
    fetcher = Fetcher(settings.fetch)
    try:
        yield Monitor(settings=settings, db=db, fetcher=fetcher, clock=clock)
    finally:
        await fetcher.aclose()
        db.dispose()
