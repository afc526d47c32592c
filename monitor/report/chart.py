"""The timeline chart of the incident log: sightings found, reported and removed over time."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from monitor.report.incident import IncidentLog, SightingRecord
from monitor.store.review import StatusChange


def timeline_svg(log: IncidentLog) -> str | None:
    """An SVG line chart of the running totals; None when there is nothing to draw."""
    kept = [r for r in log.sightings if r.sighting.status != "dismissed"]
    series = {
        "found": sorted(r.sighting.first_seen for r in kept),
        "reported": _times(kept, "reported"),
        "removed": _times(kept, "removed"),
    }
    if not series["found"]:
        return None
    end = max(log.generated_at, *(moment for times in series.values() for moment in times))
    with plt.rc_context({"svg.hashsalt": "incident-log", "svg.fonttype": "none"}):
        figure, axes = plt.subplots(figsize=(7.0, 2.4), dpi=100)
        try:
            styles = (("-", "#111111"), ("--", "#b35900"), (":", "#1a7f37"))
            for (label, times), (style, colour) in zip(series.items(), styles, strict=True):
                if times:
                    xs = mdates.date2num([*times, end])  # type: ignore[no-untyped-call]
                    ys = [*range(1, len(times) + 1), len(times)]
                    axes.step(xs, ys, where="post", linestyle=style, color=colour, label=label)
            axes.set_ylabel("sightings")
            axes.set_ylim(bottom=0)
            axes.yaxis.set_major_locator(MaxNLocator(integer=True))
            locator = mdates.AutoDateLocator(maxticks=8)  # type: ignore[no-untyped-call]
            axes.xaxis.set_major_locator(locator)
            axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
            axes.legend(loc="upper left", frameon=False)
            axes.grid(axis="y", linewidth=0.3)
            figure.tight_layout()
            buffer = io.StringIO()
            figure.savefig(buffer, format="svg", metadata={"Date": None})
        finally:
            plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]  # drop the XML prolog and doctype to inline it


def _times(records: Sequence[SightingRecord], status: str) -> list[datetime]:
    return sorted(t for r in records if (t := first_time(r.history, status)) is not None)


def first_time(history: Sequence[StatusChange], status: str) -> datetime | None:
    """When a sighting first reached `status`, from its review history."""
    return next((change.at for change in history if change.to_status == status), None)
