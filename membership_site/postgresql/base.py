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

``DATABASE_URL=postgres://...`` selects it (``settings.py``); its ``vendor`` is Django's.
"""

from __future__ import annotations

from datetime import UTC

from django.db.backends.postgresql import base
from django.db.backends.postgresql.base import ServerSideCursor

from membership_site.pg_loaders import give_back_to_django


class DatabaseWrapper(base.DatabaseWrapper):
    c_timestamp_loader = False  # set per connection by pg_loaders.use_c_timestamp_loader
    _binary = False

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
