"""Timestamps read from PostgreSQL through psycopg's C loader are the values Django's own loader
gives: aware, in UTC, the same instant (``membership_site.pg_loaders``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from members.models import User

pytestmark = pytest.mark.django_db


def test_timestamps_come_back_as_the_same_aware_utc_instants(postgres_only):
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg import pq

    berlin = ZoneInfo("Europe/Berlin")
    moments = [
        datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=UTC),  # Berlin's spring-forward night
        datetime(2026, 10, 25, 2, 30, tzinfo=berlin),  # an ambiguous local hour
        datetime(1, 1, 1, tzinfo=UTC) + timedelta(days=1),
        datetime(9999, 12, 30, 23, 59, 59, tzinfo=UTC),
    ]
    for number, moment in enumerate(moments):
        User.objects.create(email=f"loader-{number}@example.test", date_joined=moment)
    found = list(
        User.objects.filter(email__startswith="loader-").order_by("email")
        .values_list("date_joined", flat=True)
    )  # fmt: skip
    assert found == [moment.astimezone(UTC) for moment in moments]
    assert all(value.tzinfo is UTC for value in found)
    with connection.cursor() as cursor:  # the same rows through Django's own loader
        register_tzloader(UTC, cursor.cursor)
        cursor.execute(
            "SELECT date_joined FROM members_user WHERE email LIKE 'loader-%%' ORDER BY email"
        )
        assert [row[0] for row in cursor.fetchall()] == found
    loader = connection.connection.adapters.get_loader(1184, pq.Format.TEXT)
    assert loader.__module__.startswith("psycopg_")  # psycopg's C class itself, not Django's
    assert connection.c_timestamp_loader


def test_a_connection_of_djangos_own_backend_gets_the_wrapped_c_loader(postgres_only):
    """Django's backend reads ``timezone`` off the loader on each cursor: it gets the wrapper."""
    from psycopg import pq

    from membership_site.pg_loaders import _utc_loader, use_c_timestamp_loader

    raw = connection.connection
    before = raw.adapters.get_loader(1184, pq.Format.TEXT)
    djangos = type("Djangos", (), {"vendor": "postgresql", "connection": raw})()
    try:
        use_c_timestamp_loader(sender=None, connection=djangos)
        loader = raw.adapters.get_loader(1184, pq.Format.TEXT)
        assert loader.__name__ == _utc_loader().__name__
        assert loader.timezone is UTC
    finally:
        raw.adapters.register_loader("timestamptz", before)


def test_server_side_cursors_read_the_same_instants(postgres_only):
    moment = datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    User.objects.create(email="iterated@example.test", date_joined=moment)
    with transaction.atomic():  # .iterator() on PostgreSQL: a named cursor
        found = list(User.objects.filter(email="iterated@example.test").iterator())
    assert [user.date_joined for user in found] == [moment.astimezone(UTC)]
    assert found[0].date_joined.tzinfo is UTC


def test_changed_zone_settings_give_the_connection_back_to_django(postgres_only, settings):
    """With ``USE_TZ`` turned off after the connection was made (a test does it), the backend
    reads timestamps as Django's does again: naive, in the site zone's wall time."""
    moment = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    User.objects.create(email="naive@example.test", date_joined=moment)
    wall_time = moment.astimezone(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)
    settings.USE_TZ = False
    try:
        found = User.objects.values_list("date_joined", flat=True).get(email="naive@example.test")
        assert found == wall_time
        assert not connection.c_timestamp_loader
    finally:
        settings.USE_TZ = True
    aware = User.objects.values_list("date_joined", flat=True).get(email="naive@example.test")
    assert aware == moment
    from membership_site.pg_loaders import use_c_timestamp_loader

    use_c_timestamp_loader(sender=None, connection=connection)  # as a new connection would
    assert connection.c_timestamp_loader


def test_a_session_in_another_zone_keeps_djangos_loader(postgres_only):
    """Were the session's zone not UTC, psycopg's loader would hand back that zone: the C loader
    is registered only when the session speaks UTC."""
    from membership_site.pg_loaders import use_c_timestamp_loader

    raw = connection.connection
    before = raw.adapters.get_loader(1184, 0)
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Europe/Berlin'")
        try:
            copy = type("Copy", (), {"vendor": "postgresql", "connection": raw})()
            raw.adapters.register_loader("timestamptz", before)  # as Django left it
            django_loader = raw.adapters.get_loader(1184, 0)
            use_c_timestamp_loader(sender=None, connection=copy)
            assert raw.adapters.get_loader(1184, 0) is django_loader
        finally:
            cursor.execute("SET TIME ZONE 'UTC'")


def test_a_binary_cursor_reads_the_same_rows_as_a_text_one(postgres_only):
    from psycopg import pq

    moment = datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=UTC)
    User.objects.create(email="binary@example.test", date_joined=moment)
    sql = (
        "SELECT id, date_joined, CASE WHEN is_active THEN 2 ELSE 1 END, 0 "
        "FROM members_user WHERE email = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ["binary@example.test"])
        as_text = cursor.fetchall()
    with connection.binary_cursor() as cursor:
        cursor.execute(sql, ["binary@example.test"])
        as_binary = cursor.fetchall()
        assert cursor.cursor.pgresult.fformat(1) == pq.Format.BINARY
    assert as_binary == as_text
    assert as_binary[0][1] == moment
    assert as_binary[0][1].tzinfo is UTC
    with connection.cursor() as cursor:  # the next cursor is a text one again
        cursor.execute(sql, ["binary@example.test"])
        assert cursor.cursor.pgresult.fformat(1) == pq.Format.TEXT


@pytest.mark.parametrize("server_side_binding", [True, False])
def test_a_binary_cursor_works_without_prepared_statements_too(postgres_only, server_side_binding):
    """``DATABASE_PREPARED_STATEMENTS=0`` (behind an old PgBouncer) gives client-side cursors,
    which cannot return binary rows: the binary cursor is then a text one."""
    from psycopg import pq

    from membership_site.postgresql.base import DatabaseWrapper

    options = {**connection.settings_dict["OPTIONS"], "server_side_binding": server_side_binding}
    other = DatabaseWrapper({**connection.settings_dict, "OPTIONS": options})
    try:
        with other.binary_cursor() as cursor:
            cursor.execute("SELECT %s::int8, TIMESTAMPTZ '2026-03-29 01:59:59+00'", [7])
            row = cursor.fetchone()
            fetched = cursor.cursor.pgresult.fformat(1)
    finally:
        other.close()
    assert row == (7, datetime(2026, 3, 29, 1, 59, 59, tzinfo=UTC))
    assert fetched == (pq.Format.BINARY if server_side_binding else pq.Format.TEXT)
