"""Timestamps from PostgreSQL parsed by psycopg's C loader when the session's zone is UTC.

Django registers a ``timestamptz`` loader of its own (``SpecificTzLoader``): a Python subclass
of psycopg's Python loader that sets the configured zone on each value. psycopg swaps in its C
loaders only for its own classes, so every timestamp Django read was parsed in Python: about a
tenth of the member dashboard's CPU (issue 20's profile; 268 timestamps per request), 8 times
slower than psycopg's C loader (100,000 rows: 0.60 s against 0.07 s).

With ``USE_TZ`` and a session zone of UTC (which Django sets: ``ensure_timezone``) the C loader
gives the very value Django's does: an aware datetime with ``datetime.timezone.utc``
(``psycopg._tz`` maps "UTC" to it). Any other configuration keeps Django's loader.
"""

from __future__ import annotations

from datetime import UTC

from django.conf import settings


def _utc_loader():
    from psycopg import adapters, pq
    from psycopg.adapt import Loader

    c_loader = adapters.get_loader(1184, pq.Format.TEXT)  # timestamptz: the C class if built

    class UtcTimestampLoader(Loader):
        """psycopg's loader with the ``timezone`` attribute Django reads on every new cursor
        (``DatabaseWrapper.create_cursor``); the C class cannot be subclassed."""

        timezone = UTC

        def __init__(self, oid, context=None) -> None:
            super().__init__(oid, context)
            self.load = c_loader(oid, context).load  # the C method, called directly

        def load(self, data):  # pragma: no cover - replaced on every instance
            raise NotImplementedError

    return UtcTimestampLoader


_LOADER = None


def _wrapped_loader():
    global _LOADER
    if _LOADER is None:
        _LOADER = _utc_loader()
    return _LOADER


def use_c_timestamp_loader(sender, connection, **kwargs) -> None:
    """``connection_created``: parse the connection's timestamps with psycopg's C loader (the
    C class itself for ``membership_site.postgresql``, else wrapped for Django's backend)."""
    if connection.vendor != "postgresql" or not settings.USE_TZ:
        return
    raw = connection.connection
    adapters = getattr(raw, "adapters", None)  # psycopg 3 only
    if adapters is None or raw.pgconn.parameter_status(b"TimeZone") != b"UTC":
        return  # Django's loader converts to the configured zone: keep it
    if hasattr(connection, "c_timestamp_loader"):
        from psycopg import adapters as default_adapters
        from psycopg import pq

        adapters.register_loader("timestamptz", default_adapters.get_loader(1184, pq.Format.TEXT))
        connection.c_timestamp_loader = True
    else:
        adapters.register_loader("timestamptz", _wrapped_loader())


def give_back_to_django(connection) -> None:
    """Put the wrapped loader (with the ``timezone`` Django's ``create_cursor`` reads) back on a
    connection whose zone setting changed since it was made (a test's ``override_settings``)."""
    connection.connection.adapters.register_loader("timestamptz", _wrapped_loader())
    connection.c_timestamp_loader = False
