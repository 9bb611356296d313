"""``membership_site.postgresql``'s connection methods refuse an async context exactly as
Django's ``async_unsafe`` does, without raising an exception in synchronous code."""

from __future__ import annotations

import asyncio

import pytest
from django.core.exceptions import SynchronousOnlyOperation
from django.db import connection, connections
from django.utils.asyncio import async_unsafe

from membership_site.postgresql.base import DatabaseWrapper, sync_only


class Connection:
    @async_unsafe
    def cursor(self):
        return "a cursor"


class Checked(Connection):
    cursor = sync_only(Connection.cursor)


async def _in_event_loop(function):
    return function()


@pytest.mark.parametrize("kind", [Connection, Checked])
def test_same_answers_as_async_unsafe(kind, monkeypatch):
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    assert kind().cursor() == "a cursor"
    with pytest.raises(SynchronousOnlyOperation, match="async context"):
        asyncio.run(_in_event_loop(kind().cursor))
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    assert asyncio.run(_in_event_loop(kind().cursor)) == "a cursor"


def _site_postgresql():
    if not isinstance(connections["default"], DatabaseWrapper):
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://...")


def test_every_guarded_method_is_checked_without_exceptions():
    _site_postgresql()
    guarded = ("connect", "cursor", "chunked_cursor", "commit", "rollback", "close", "savepoint",
               "savepoint_rollback", "savepoint_commit", "clean_savepoints")  # fmt: skip
    for name in guarded:
        method = DatabaseWrapper.__dict__[name]
        assert method.__code__ is sync_only(Connection.cursor).__code__, name


@pytest.mark.django_db
def test_the_site_s_postgresql_connection_refuses_an_event_loop(monkeypatch):
    _site_postgresql()
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    with pytest.raises(SynchronousOnlyOperation):
        asyncio.run(_in_event_loop(connection.cursor))


def test_pytest_django_still_blocks_the_database_outside_django_db_tests():
    """Its blocker replaces Django's ``ensure_connection``: the site's connection calls it."""
    _site_postgresql()
    assert "ensure_connection" not in DatabaseWrapper.__dict__
    connections["default"].close()
    with pytest.raises(RuntimeError, match="Database access not allowed"):
        connections["default"].cursor()
