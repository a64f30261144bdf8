"""A table model's Table, which the plain SQL of the services is written against (its schema is the
migrations': shared/store/migrations.py)."""

from __future__ import annotations

from sqlalchemy import Table, inspect
from sqlmodel import SQLModel


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Table (its ``__table__``, which SQLModel's types do not declare)."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table
