"""Model instances from SQL written once per process, for the few reads every member page makes.

Issue 20's profile of a lesson request: a third of its CPU went to building, cloning and
compiling querysets and making model instances, for statements that never change shape. Here a
model's columns are listed once (``Columns.sql``) and a row becomes an instance through the
ORM's own pieces: the database's converters (SQLite hands back text for dates, integers for
booleans) and ``Model.from_db``, so the instance is the one the queryset would have built.

Only for fixed, hot statements; everything else stays an ordinary queryset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from django.db import connections
from django.db.models import Model


class Columns:
    """Every concrete column of ``model`` under ``alias``, in the order ``from_db`` wants."""

    def __init__(self, model: type[Model], alias: str, using: str = "default") -> None:
        connection = connections[using]
        quote = connection.ops.quote_name
        fields = model._meta.concrete_fields
        self.model, self.using, self.width = model, using, len(fields)
        self.sql = ", ".join(f"{alias}.{quote(field.column)}" for field in fields)
        self.field_names = [field.attname for field in fields]
        self._converters: list[tuple[int, list[Callable], Any]] = []
        for index, field in enumerate(fields):
            column = field.get_col(alias)
            # As the compiler does: the backend's converters, then the field's.
            converters = connection.ops.get_db_converters(column)
            converters += column.get_db_converters(connection)
            if converters:
                self._converters.append((index, converters, column))

    def build(self, row: Sequence[Any], start: int = 0) -> Model:
        """The instance held in ``row[start:start + width]``."""
        values = list(row[start : start + self.width])
        connection = connections[self.using]
        for index, converters, column in self._converters:
            value = values[index]
            for converter in converters:
                value = converter(value, column, connection)
            values[index] = value
        return self.model.from_db(self.using, self.field_names, values)


@cache
def columns(model: type[Model], alias: str, vendor: str) -> Columns:
    """``Columns`` of ``model`` for the default database (``vendor`` keys the cache: tests may
    switch databases within a process)."""
    return Columns(model, alias)


def columns_for(model: type[Model], alias: str) -> Columns:
    return columns(model, alias, connections["default"].vendor)


BIGINT_MAX = 2**63 - 1


def is_storable_id(value: int) -> bool:
    """An id the database can compare (a URL may carry any number of digits; the ORM answers
    "no such row" for the others, and so must hand-written SQL: SQLite raises OverflowError)."""
    return -BIGINT_MAX - 1 <= value <= BIGINT_MAX


def fetch_one(sql: str, params: Sequence[Any]) -> tuple | None:
    with connections["default"].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
