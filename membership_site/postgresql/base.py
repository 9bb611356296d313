"""Django's PostgreSQL backend, reading timestamps with psycopg's C loader itself (issue 20).

``membership_site.pg_loaders`` already parses ``timestamptz`` with psycopg's C code when the
session's zone is UTC, but through a small Python class: Django reads a ``timezone`` attribute off
the connection's loader on every new cursor (``DatabaseWrapper.create_cursor``), which psycopg's
C class does not have. psycopg calls a Python loader per value, 3,800 instructions a timestamp
against 2,500 for its C class called directly: about 200 timestamps on the member dashboard.

This backend registers the C class itself (``pg_loaders.use_c_timestamp_loader``) and makes
cursors without that check: the connection's loader already gives aware datetimes in UTC, which is
all the check would ensure. Any connection that did not get the C class (another session zone,
``USE_TZ`` off) makes its cursors as Django's backend does.

Django guards ``cursor()``, ``commit()`` and the other connection methods
with ``async_unsafe``, which calls ``asyncio.get_running_loop()`` to learn that no event loop is
running: in a synchronous request that raises and catches a ``RuntimeError`` each time, two or
three per query (about 8,000 instructions each). Here the same check asks
``asyncio._get_running_loop()``, which answers ``None`` without raising; an event loop running
in the thread still gets ``SynchronousOnlyOperation`` (unless ``DJANGO_ALLOW_ASYNC_UNSAFE``), as
with Django's decorator.

``DATABASE_URL=postgres://...`` selects it (``settings.py``); its ``vendor`` is Django's.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC
from functools import wraps

from django.core.exceptions import SynchronousOnlyOperation
from django.db.backends.postgresql import base
from django.db.backends.postgresql.base import ServerSideCursor

from membership_site.pg_loaders import give_back_to_django

_running_loop = asyncio._get_running_loop  # noqa: SLF001 - what get_running_loop() reads
ASYNC_MESSAGE = "You cannot call this from an async context - use a thread or sync_to_async."


def sync_only(method):
    """Django's ``async_unsafe`` around the method it decorates (``__wrapped__``), with the
    same answer and no exception raised when no event loop runs. A method without the decorator
    is left as it is. Not for ``ensure_connection``: pytest-django blocks the database by
    replacing Django's at test time, which a method of this class taken at import would bypass
    (``cursor()`` still calls Django's, one check more per query)."""
    original = getattr(method, "__wrapped__", None)
    if original is None:
        return method

    @wraps(original)
    def checked(*args, **kwargs):
        if _running_loop() is not None and not os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE"):
            raise SynchronousOnlyOperation(ASYNC_MESSAGE)
        return original(*args, **kwargs)

    return checked


class DatabaseWrapper(base.DatabaseWrapper):
    c_timestamp_loader = False  # set per connection by pg_loaders.use_c_timestamp_loader
    _binary = False

    connect = sync_only(base.DatabaseWrapper.connect)
    cursor = sync_only(base.DatabaseWrapper.cursor)
    chunked_cursor = sync_only(base.DatabaseWrapper.chunked_cursor)
    commit = sync_only(base.DatabaseWrapper.commit)
    rollback = sync_only(base.DatabaseWrapper.rollback)
    close = sync_only(base.DatabaseWrapper.close)
    savepoint = sync_only(base.DatabaseWrapper.savepoint)
    savepoint_rollback = sync_only(base.DatabaseWrapper.savepoint_rollback)
    savepoint_commit = sync_only(base.DatabaseWrapper.savepoint_commit)
    clean_savepoints = sync_only(base.DatabaseWrapper.clean_savepoints)

    def binary_cursor(self):
        """``cursor()`` whose rows come in PostgreSQL's binary format, read by psycopg's C
        loaders without parsing text: for a hot statement of numbers and timestamps (the
        member's lesson views: 2,500 instructions less per row). A connection not reading aware
        UTC timestamps with psycopg's own loaders, or without server-side binding
        (``DATABASE_PREPARED_STATEMENTS=0``), gives an ordinary cursor. Not for ``jsonb``
        columns: Django reads those as text, which it registers for the text format only."""
        self._binary = True
        try:
            return self.cursor()
        finally:
            self._binary = False

    def create_cursor(self, name=None):
        if not self.c_timestamp_loader:
            return super().create_cursor(name)
        if self.timezone is not UTC:  # the zone settings changed since the connection was made
            give_back_to_django(self)
            return super().create_cursor(name)
        if not name:
            # Binary rows need server-side binding (psycopg's client-side cursors, which
            # DATABASE_PREPARED_STATEMENTS=0 selects, cannot return them).
            binary = self._binary and self.settings_dict["OPTIONS"].get("server_side_binding")
            return self.connection.cursor(binary=binary is True)
        # Django's named (server-side) cursor, as its create_cursor makes it.
        if self.settings_dict["OPTIONS"].get("server_side_binding") is not True:
            return ServerSideCursor(
                self.connection, name=name, scrollable=False, withhold=self.connection.autocommit
            )
        return self.connection.cursor(name, scrollable=False, withhold=self.connection.autocommit)

    def get_new_connection(self, conn_params):
        self.c_timestamp_loader = False  # until the new connection's loader is registered
        return super().get_new_connection(conn_params)
