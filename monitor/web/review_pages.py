"""The review queue, one sighting with its history and review buttons, and the click-through
page that is the only way to a matched picture's public address."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from monitor.store.records import Sighting
from monitor.store.review import ReviewError, change_status, status_history
from monitor.store.review_queue import new_sightings
from monitor.store.staff import StaffUser
from monitor.web.csrf import csrf_protected
from monitor.web.dashboard import (
    NOT_FOUND,
    cookies_of,
    dashboard_of,
    render,
    require_user,
    visible_clients,
    visible_sighting,
)
from monitor.web.sessions import SessionData

ACTIONS = {"confirm": "confirmed", "dismiss": "dismissed", "reported": "reported"}
FIELD_LIMITS = {"note": 2000, "reported_to": 500, "route": 200}
OPENABLE = {"page": "page", "image": "image", "final": "final image address"}


def queue(request: Request) -> Response:
    user, session = require_user(request)
    sightings = new_sightings(dashboard_of(request).database, client_ids=visible_clients(user))
    changed = request.query_params.get("changed", "")
    status = request.query_params.get("status", "")
    message = None
    if changed.isdigit() and status in ACTIONS.values():
        message = f"Sighting {int(changed)} is now {status}."
    return render(
        request, "queue.html", user=user, session=session, sightings=sightings, message=message
    )


def sighting_page(request: Request) -> Response:
    user, session = require_user(request)
    sighting = visible_sighting(request, user, request.path_params["sighting_id"])
    return _render_sighting(request, user, session, sighting, error=None)


def open_address(request: Request) -> Response:
    """A warning first; the address opens only when the reviewer clicks it (in a new tab,
    without a referrer)."""
    user, session = require_user(request)
    sighting = visible_sighting(request, user, request.path_params["sighting_id"])
    which = request.path_params["which"]
    if which not in OPENABLE:
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    url = {"page": sighting.page_url, "image": sighting.image_url, "final": sighting.final_url}
    return render(
        request,
        "open_address.html",
        user=user,
        session=session,
        sighting=sighting,
        what=OPENABLE[which],
        url=url[which],
    )


@csrf_protected(cookies_of)
async def review(request: Request, form: FormData) -> Response:
    return await run_in_threadpool(_review, request, form)


def _review(request: Request, form: FormData) -> Response:
    user, session = require_user(request)
    sighting = visible_sighting(request, user, request.path_params["sighting_id"])
    action = form.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        return _render_sighting(
            request,
            user,
            session,
            sighting,
            error="Choose confirm, dismiss or reported.",
            status=400,
        )
    fields = {name: _text(form, name) for name in FIELD_LIMITS}
    too_long = [name for name, limit in FIELD_LIMITS.items() if len(fields[name] or "") > limit]
    if too_long:
        name = too_long[0]
        error = f"{name.replace('_', ' ')} is longer than {FIELD_LIMITS[name]} characters."
        return _render_sighting(request, user, session, sighting, error=error, status=400)
    if action == "reported" and not fields["reported_to"]:
        error = "Say to whom or where it was reported (e.g. the site's NCII form)."
        return _render_sighting(request, user, session, sighting, error=error, status=400)
    try:
        changed = change_status(
            dashboard_of(request).database,
            sighting_id=sighting.id,
            to_status=ACTIONS[action],
            at=dashboard_of(request).clock(),
            note=fields["note"],
            reported_to=fields["reported_to"] if action == "reported" else None,
            route=fields["route"] if action == "reported" else None,
        )
    except ReviewError as error:
        return _render_sighting(request, user, session, sighting, error=str(error), status=409)
    return RedirectResponse(f"/queue?changed={changed.id}&status={changed.status}", status_code=303)


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def _render_sighting(
    request: Request,
    user: StaffUser,
    session: SessionData,
    sighting: Sighting,
    *,
    error: str | None,
    status: int = 200,
) -> Response:
    history = status_history(dashboard_of(request).database, sighting.id)
    return render(
        request,
        "sighting.html",
        user=user,
        session=session,
        sighting=sighting,
        history=history,
        error=error,
        status_code=status,
    )


ROUTES = [
    Route("/queue", queue, methods=["GET"]),
    Route("/sightings/{sighting_id:int}", sighting_page, methods=["GET"]),
    Route("/sightings/{sighting_id:int}/open/{which}", open_address, methods=["GET"]),
    Route("/sightings/{sighting_id:int}/review", review, methods=["POST"]),
]
