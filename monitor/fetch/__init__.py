"""Fetching from the web: the one HTTP client (`Fetcher`), URL and address safety."""

from monitor.fetch.client import Fetcher, FetchResult
from monitor.fetch.settings import FetchSettings

__all__ = ["FetchResult", "FetchSettings", "Fetcher"]
