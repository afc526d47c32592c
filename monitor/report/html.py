"""The incident log as one self-contained HTML page: the printable binder, and the PDF's source."""

from __future__ import annotations

from datetime import timedelta

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.alerts.render import format_utc
from monitor.report.chart import timeline_svg
from monitor.report.incident import IncidentLog
from monitor.report.tabular import timeline


def render_html(log: IncidentLog) -> str:
    environment = Environment(
        loader=PackageLoader("monitor.report", "templates"),
        autoescape=select_autoescape(default=True),  # URLs and notes come from the web and users
        undefined=StrictUndefined,
    )
    template = environment.get_template("incident.html")
    return template.render(
        log=log,
        chart=timeline_svg(log),
        timeline=timeline,
        utc=format_utc,
        percent=_percent,
        duration=_duration,
    )


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def _duration(delay: timedelta | None) -> str:
    if delay is None:
        return "n/a"
    hours = delay.total_seconds() / 3600
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"
