"""Wires the parts together from the settings: the service layer the command line calls."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from monitor.alerts.apprise_notifier import AppriseNotifier
from monitor.alerts.delivery import AlertDelivery, DeliveryReport
from monitor.alerts.outages import OutageAlerts
from monitor.alerts.takedown import TakedownRegistry
from monitor.config import Settings
from monitor.fetch.client import Fetcher
from monitor.pipeline import Pipeline, utc_now
from monitor.sources import SourceContext, build_source
from monitor.store import Database, open_database
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
        self.pipeline = Pipeline(
            db=db,
            fetcher=fetcher,
            scan=settings.scan,
            matching=settings.matching,
            max_pixels=settings.fetch.max_pixels,
            takedown=TakedownRegistry(settings.alerts.takedown),
            clock=clock,
        )
        self.delivery = AlertDelivery(
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

    async def scan(self, *, only: str | None = None) -> ScanReport:
        names = [only] if only is not None else list(self.sources)
        sweeps = [await self.sweep(name) for name in names]
        delivery = await self.delivery.deliver_due()
        return ScanReport(sweeps=sweeps, delivery=delivery)


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
