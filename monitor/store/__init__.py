"""Persistence behind repository functions; callers get `records` values, never sessions."""

from monitor.store.database import Database, StoreError, open_database

__all__ = ["Database", "StoreError", "open_database"]
