"""A unique key violated, as each way of writing raises it: the ORM's flush (SQLAlchemy's IntegrityError),
plain SQL on SQLite (sqlite3's), plain SQL on PostgreSQL (the asyncpg adapter's DBAPI error, beneath
SQLAlchemy's wrapping). A write that turns a taken name into a SCIM 409 catches all three."""

from __future__ import annotations

import sqlite3

from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import IntegrityError

INTEGRITY_ERRORS: tuple[type[Exception], ...] = (
    IntegrityError, sqlite3.IntegrityError, AsyncAdapt_asyncpg_dbapi.IntegrityError)
