"""The [captures] section: where sealed captures go and how pages are captured."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from monitor.durations import Duration


class CaptureSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    directory: Path = Field(
        default=Path("captures"),
        description="Where sealed captures are written (relative to the config file); "
        "one folder per client. This server can write them but never read them back.",
    )
    warc: bool = Field(default=True, description="Keep the page's request and response as WARC.")
    screenshot: bool = Field(
        default=True, description="Keep a full-page screenshot from headless Chromium."
    )
    chromium: Path = Field(
        default=Path("/usr/bin/chromium"),
        description="The Chromium binary (Debian: apt install chromium).",
    )
    timeout: Duration = Field(
        default=timedelta(seconds=30), description="Longest wait for a page to load."
    )
    max_height: int = Field(
        default=16000, ge=600, le=60000, description="Screenshots are cut at this many pixels."
    )
    within: Duration = Field(
        default=timedelta(days=2),
        description="Only sightings first seen this recently are captured (turning captures "
        "on does not start a capture of every old sighting).",
    )
