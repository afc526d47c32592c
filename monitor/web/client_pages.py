"""Per client: how many sightings are in which state, the list of them, and the export of the
incident log."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from monitor.errors import MonitorError, UnknownClientError
from monitor.report.incident import collect_incident_log
from monitor.store.review_queue import client_overviews, client_sightings
from monitor.web.dashboard import (
    NOT_FOUND,
    dashboard_of,
    may_see,
    render,
    require_user,
    visible_clients,
)

EXPORT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


def clients(request: Request) -> Response:
    user, session = require_user(request)
    overviews = client_overviews(dashboard_of(request).database, client_ids=visible_clients(user))
    return render(request, "clients.html", user=user, session=session, overviews=overviews)


def client_page(request: Request) -> Response:
    user, session = require_user(request)
    client_id = _visible_client_id(request)
    database = dashboard_of(request).database
    overview = client_overviews(database, client_ids=[client_id])
    if not overview:
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    return render(
        request,
        "client.html",
        user=user,
        session=session,
        overview=overview[0],
        sightings=client_sightings(database, client_id=client_id),
    )


def export(request: Request) -> Response:
    """The incident log as a download (never shown in the dashboard's own page)."""
    client_id = _visible_client_id(request)
    log_format = request.path_params["log_format"]
    if log_format not in EXPORT_TYPES:
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    dashboard = dashboard_of(request)
    from monitor.cli.export import render as render_log  # the report's renderers load lazily

    try:
        log = collect_incident_log(dashboard.database, client_id=client_id, now=dashboard.clock())
        content = render_log(log_format=log_format, log=log)
    except UnknownClientError:
        raise HTTPException(status_code=404, detail=NOT_FOUND) from None
    except MonitorError as error:
        raise HTTPException(status_code=503, detail=str(error)) from None
    stamp = dashboard.clock().strftime("%Y%m%dT%H%M%SZ")
    filename = f"incident-log-{client_id}-{stamp}.{log_format}"
    return Response(
        content,
        media_type=EXPORT_TYPES[log_format],
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def _visible_client_id(request: Request) -> str:
    user, _session = require_user(request)
    client_id: str = request.path_params["client_id"]
    if not may_see(user, client_id):
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    return client_id


ROUTES = [
    Route("/clients", clients, methods=["GET"]),
    Route("/clients/{client_id}", client_page, methods=["GET"]),
    Route("/clients/{client_id}/export.{log_format}", export, methods=["GET"]),
]
