from tests.store.conftest import db, sqlite_db

__all__ = ["db", "sqlite_db"]
