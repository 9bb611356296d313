"""Model instances from SQL written once per process, for the few reads every member page makes.

Issue 20's profile of a lesson request: a third of its CPU went to building, cloning and
compiling querysets and making model instances, for statements that never change shape. Here a
model's columns are listed once (``Columns.sql``) and a row becomes an instance through the
ORM's own pieces: the database's converters (SQLite hands back text for dates, integers for
booleans) and ``Model.from_db``, so the instance is the one the queryset would have built.

Only for fixed, hot statements; everything else stays an ordinary queryset.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators


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


# Database connections belong to a thread, and so do the converters and compilers made with
# them: each thread keeps its own (a few per process), keyed by vendor (tests switch databases).
_per_thread = threading.local()


def _thread_cache() -> dict:
    found = getattr(_per_thread, "cache", None)
    if found is None:
        found = _per_thread.cache = {}
    return found


def columns_for(model: type[Model], alias: str) -> Columns:
    """``Columns`` of ``model`` under ``alias`` for the default database, made once per thread."""
    key = (Columns, model, alias, connections["default"].vendor)
    cache = _thread_cache()
    found = cache.get(key)
    if found is None:
        found = cache[key] = Columns(model, alias)
    return found


BIGINT_MAX = 2**63 - 1


def is_storable_id(value: int) -> bool:
    """An id the database can compare (a URL may carry any number of digits; the ORM answers
    "no such row" for the others, and so must hand-written SQL: SQLite raises OverflowError)."""
    return -BIGINT_MAX - 1 <= value <= BIGINT_MAX


def fetch_one(sql: str, params: Sequence[Any]) -> tuple | None:
    with connections["default"].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _param_key(value: Any) -> tuple:
    """How a stand-in is recognised among a statement's parameters: by type (``True`` is not
    ``1``), an int subclass a driver wraps integers in counting as int."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (int, int(value))
    return (type(value), value)


def _wrapper(value: Any) -> type | None:
    """The driver's type a stand-in came wrapped in, None for a plain int or str."""
    return None if type(value) in (int, str) else type(value)


class Precompiled:
    """A queryset compiled to SQL once per thread and database, then run with new values.

    ``build(**values)`` must return the same shape of queryset whatever the values (ids, slugs).
    It is built once with stand-ins (``names`` maps each name to ``int`` or ``str``); the compiled
    statement's parameters equal to a stand-in are replaced by the caller's value on each run,
    and the rows become instances (with ``select_related`` objects and annotations) as
    ``ModelIterable`` makes them, through the same compiler's converters and populators.
    """

    def __init__(self, build: Callable[..., QuerySet], **names: type) -> None:
        self._build, self._names = build, names

    def _stand_ins(self) -> dict[str, int | str]:
        """A value per name that no caller ever passes."""
        return {
            name: -(2**62) - number if kind is int else f"\x00stand-in {number}"
            for number, (name, kind) in enumerate(self._names.items())
        }

    def _compile(self, using: str) -> tuple:
        stand_ins = self._stand_ins()
        queryset = self._build(**stand_ins)
        if queryset._known_related_objects or queryset._prefetch_related_lookups:
            raise ValueError("Precompiled supports plain and select_related querysets only")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        by_value = {_param_key(value): name for name, value in stand_ins.items()}
        # A value expression's int comes wrapped in the driver's type (psycopg's ``Int4``):
        # found by its value, and the caller's value is wrapped alike on each run.
        slots = [
            (index, by_value[_param_key(value)], _wrapper(value))
            for index, value in enumerate(params)
            if _param_key(value) in by_value
        ]
        if {name for _index, name, _wrap in slots} != set(self._names):
            raise ValueError("a stand-in value did not reach the SQL")
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, using)
        # The columns' converters, which ``results_iter`` would look up again on every run.
        columns = [column[0] for column in select[: compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise ValueError("Precompiled does not read composite primary keys")
        converters = compiler.get_converters(columns)
        built = (start, end, init_list, populators, converters)
        return sql, list(params), slots, compiler, built

    def run(self, **values: int | str) -> list[Model]:
        using = "default"
        key, cache = (self, connections[using].vendor), _thread_cache()
        compiled = cache.get(key)
        if compiled is None:
            compiled = cache[key] = self._compile(using)
        sql, params, slots, compiler, (start, end, init_list, populators, converters) = compiled
        params = list(params)
        for index, name, wrap in slots:
            params[index] = values[name] if wrap is None else wrap(values[name])
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        model, annotations = compiler.klass_info["model"], compiler.annotation_col_map or {}
        found = []
        if converters:
            rows = compiler.apply_converters(rows, converters)
        for row in rows:
            instance = model.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            for name, position in annotations.items():
                setattr(instance, name, row[position])
            found.append(instance)
        return found

    def first(self, **values: int | str) -> Model | None:
        """The first instance of ``run``, or None (for a ``first_row`` queryset)."""
        found = self.run(**values)
        return found[0] if found else None


def first_row(queryset: QuerySet) -> QuerySet:
    """``queryset.first()`` as a queryset to precompile: its order (else by pk), one row."""
    return (queryset if queryset.ordered else queryset.order_by("pk"))[:1]
