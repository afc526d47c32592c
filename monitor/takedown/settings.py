"""Config for takedown requests: where edited templates live, and who sends by which route."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class TakedownSettings(BaseModel):
    """The [takedown] section."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    templates: Path | None = Field(
        default=None,
        description=(
            "Folder of your own request templates; a file named <route>.txt there replaces the "
            "built-in one (copy them with `monitor takedown --write-templates DIR`)."
        ),
    )


class RequesterDetails(BaseModel):
    """Who sends requests by one route: `[clients.requester.<route>]`.

    Only the routes given here ever print these details; every other route prints placeholders
    for the sender to fill in by hand, so a victim's name is never put in a request by default.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=50)
    signature: str | None = Field(default=None, max_length=200)
