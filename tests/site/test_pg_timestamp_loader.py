"""Timestamps read from PostgreSQL through psycopg's C loader are the values Django's own loader
gives: aware, in UTC, the same instant (``membership_site.pg_loaders``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from members.models import User

pytestmark = pytest.mark.django_db


def test_timestamps_come_back_as_the_same_aware_utc_instants(postgres_only):
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg import pq

    from membership_site.pg_loaders import _utc_loader

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
    assert loader.__name__ == _utc_loader().__name__  # psycopg's C parsing, not Django's


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
