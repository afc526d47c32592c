"""A worker's own match index, rebuilt from the database when enrolments change.

A worker lives for days while staff enrol and erase items; before each image it asks the
database for a cheap marker (count and highest id of items, fingerprints and dismissal
suppressions), at most once a
`check_every`, and reloads the index only when the marker moved.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from monitor.fingerprint import MatchSettings
from monitor.pipeline import Matcher
from monitor.store import Database
from monitor.store.shared_sweeps import fingerprints_version

log = logging.getLogger(__name__)


class LiveMatcher:
    def __init__(
        self,
        db: Database,
        *,
        settings: MatchSettings,
        settings_for: Callable[[str], MatchSettings] | None = None,
        check_every: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._settings = settings
        self._settings_for = settings_for
        self._check_every = check_every
        self._clock = clock
        self._matcher: Matcher | None = None
        self._version: tuple[int, ...] = ()
        self._checked_at = 0.0
        self.loads = 0

    def current(self) -> Matcher:
        now = self._clock()
        if self._matcher is not None and now - self._checked_at < self._check_every:
            return self._matcher
        self._checked_at = now
        version = fingerprints_version(self._db)
        if self._matcher is None or version != self._version:
            self._matcher = Matcher.load(
                self._db, settings=self._settings, settings_for=self._settings_for
            )
            self._version = version
            self.loads += 1
            log.info("match index loaded: %d enrolled item(s)", version[0])
        return self._matcher
