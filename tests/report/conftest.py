from tests.store.conftest import db, postgres, sqlite_db

__all__ = ["db", "postgres", "sqlite_db"]
