"""Marks for tests of a stateful service that the ``database`` fixture (tests/conftest.py) runs on both backends."""

import pytest

#: The test reads what only SQLite shows (its file from another connection, its statement trace): it runs on
#: the ``database`` fixture's SQLite case alone.
sqlite_only = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
#: The test is of what PostgreSQL does in SQLite's stead (a statement timeout for a budget of VM steps).
postgres_only = pytest.mark.parametrize("database", ["postgres"], indirect=True)
