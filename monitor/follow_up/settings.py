"""The [follow_up] section: how often confirmed and reported sightings are checked again."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from monitor.durations import Duration


class FollowUpSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(
        default=True, description="Re-check confirmed and reported sightings in `monitor run`."
    )
    every: Duration = Field(
        default=timedelta(hours=6), description="Time between two checks of one sighting."
    )
    checks_to_confirm_removal: int = Field(
        default=2,
        ge=2,
        le=10,
        description="Checks in a row that must find the image gone before it counts as removed.",
    )
    concurrency: int = Field(default=4, ge=1, le=64, description="Sightings checked at once.")
    batch: int = Field(default=200, ge=1, description="Most sightings checked per run.")
    page_images: int = Field(
        default=12,
        ge=0,
        le=200,
        description="Other images on a sighting's page fetched to see whether it moved there.",
    )
