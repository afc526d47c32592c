"""Limits and manners of the one HTTP client."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FetchSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    allow_private_addresses: bool = Field(
        default=False,
        description="Fetch from private, loopback and link-local addresses. Only for testing.",
    )
    max_image_bytes: int = Field(default=20_000_000, gt=0)
    max_page_bytes: int = Field(default=5_000_000, gt=0)
    max_pixels: int = Field(default=80_000_000, gt=0, description="Decompression-bomb guard.")
    max_video_bytes: int = Field(
        default=100_000_000, gt=0, description="Largest video file fetched from a page."
    )
    max_video_seconds: float = Field(
        default=600.0, gt=0, description="Seconds of a fetched video sampled; the rest is ignored."
    )
    max_video_pixels: int = Field(
        default=10_000_000, gt=0, description="Largest video frame (width x height); 4K fits."
    )
    max_video_decode_seconds: float = Field(
        default=120.0, gt=0, description="Wall-clock time one fetched video may take to decode."
    )
    connect_timeout: float = Field(default=10.0, gt=0, description="Seconds to connect.")
    total_timeout: float = Field(default=60.0, gt=0, description="Seconds for a whole response.")
    max_redirects: int = Field(default=5, ge=0)
    per_host_concurrency: int = Field(default=2, ge=1)
    per_host_delay: float = Field(
        default=1.0, ge=0, description="Seconds between requests to one host."
    )
    concurrency: int = Field(default=16, ge=1, description="Requests in flight over all hosts.")
    user_agent: str = "reupload-monitor/0.1 (+https://github.com/reupload-monitor)"
