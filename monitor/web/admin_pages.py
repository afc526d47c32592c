"""For admins only: dashboard accounts with the clients each reviewer sees, and source health.
Anyone else gets the same 404 as for a page that does not exist."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from monitor.errors import MonitorError
from monitor.store.clients import list_clients
from monitor.store.health import source_health
from monitor.store.staff import assign_client, list_staff_users, unassign_client
from monitor.web.csrf import csrf_protected
from monitor.web.dashboard import cookies_of, dashboard_of, render, require_admin


def users(request: Request) -> Response:
    return _users_page(request, error=None, status=200)


def _users_page(request: Request, *, error: str | None, status: int) -> Response:
    user, session = require_admin(request)
    database = dashboard_of(request).database
    return render(
        request,
        "users.html",
        user=user,
        session=session,
        accounts=list_staff_users(database),
        clients=[client.id for client in list_clients(database)],
        error=error,
        status_code=status,
    )


@csrf_protected(cookies_of)
async def change_assignment(request: Request, form: FormData) -> Response:
    return await run_in_threadpool(_change_assignment, request, form)


def _change_assignment(request: Request, form: FormData) -> Response:
    require_admin(request)
    username: str = request.path_params["username"]
    client_id = form.get("client_id")
    action = form.get("action")
    if not isinstance(client_id, str) or action not in {"assign", "unassign"}:
        raise HTTPException(status_code=400, detail="Choose a client and assign or unassign.")
    change = assign_client if action == "assign" else unassign_client
    try:
        change(dashboard_of(request).database, username=username, client_id=client_id)
    except MonitorError as error:
        return _users_page(request, error=str(error), status=400)
    return RedirectResponse("/users", status_code=303)


def sources(request: Request) -> Response:
    user, session = require_admin(request)
    dashboard = dashboard_of(request)
    health = source_health(dashboard.database, sources=list(dashboard.source_names))
    return render(request, "sources.html", user=user, session=session, health=health)


ROUTES = [
    Route("/users", users, methods=["GET"]),
    Route("/users/{username}/clients", change_assignment, methods=["POST"]),
    Route("/sources", sources, methods=["GET"]),
]
