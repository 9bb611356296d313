"""On PostgreSQL the site's queries become prepared statements after a few runs (issue 20: planning
was two thirds of PostgreSQL's CPU per member page), and DATABASE_PREPARED_STATEMENTS=0 turns
that off for a pooler that cannot keep them."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from members.models import User
from tests.site.test_settings import manage

pytestmark = pytest.mark.django_db


def prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_query_run_again_and_again_is_prepared_once_and_answers_the_same(postgres_only):
    member = User.objects.create(email="prepared@example.test", time_zone="Europe/Berlin")
    answers = [
        User.objects.filter(email="prepared@example.test").values_list("pk", "time_zone").get()
        for _ in range(8)
    ]
    assert answers == [(member.pk, "Europe/Berlin")] * 8
    mine = [sql for sql in prepared() if "members_user" in sql and '"email" = $1' in sql]
    assert len(mine) == 1, prepared()


@pytest.mark.parametrize(("value", "options"), [
    ("", {"server_side_binding": True, "prepare_threshold": 5}),
    ("0", {}),
])  # fmt: skip
def test_prepared_statements_are_on_for_postgresql_unless_turned_off(tmp_path, value, options):
    env = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test", "DJANGO_DEBUG": "1"}
    if value:
        env["DATABASE_PREPARED_STATEMENTS"] = value
    result = manage(
        "shell", "-c", "import json; from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))",
        env=env, tmp_path=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == options


def _alter_elsewhere(sql: str) -> None:
    """``sql`` run as ``migrate`` would run it: on another connection, committed at once."""
    import psycopg

    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"],
        port=settings["PORT"] or 5432, password=settings["PASSWORD"] or None, autocommit=True,
    ) as other:  # fmt: skip
        other.execute(sql)


def read() -> tuple[int, str]:
    return User.objects.filter(email="stale@example.test").values_list("pk", "name").get()


@pytest.mark.django_db(transaction=True)
def test_a_column_type_changed_by_a_migration_does_not_break_a_running_process(postgres_only):
    """``migrate`` while the web and worker processes keep their connections (CONN_MAX_AGE)
    must not leave every prepared statement reading a changed column failing with "cached plan
    must not change result type" until the connection is closed: the session user's SQL
    (members/session_user.py) reads every column of the user on each page."""
    member = User.objects.create(email="stale@example.test", name="Stale Plan")

    try:
        for length in (201, 202):  # and again on the same connection
            for _ in range(6):
                assert read() == (member.pk, "Stale Plan")
            _alter_elsewhere(f"ALTER TABLE members_user ALTER COLUMN name TYPE varchar({length})")
            assert read() == (member.pk, "Stale Plan")
            assert read() == (member.pk, "Stale Plan")
    finally:
        _alter_elsewhere("ALTER TABLE members_user ALTER COLUMN name TYPE varchar(200)")


@pytest.mark.django_db(transaction=True)
def test_a_stale_plan_inside_a_transaction_fails_that_transaction_only(postgres_only):
    """In a transaction the statement cannot be tried again (the transaction is aborted): that
    one fails, and its rollback makes psycopg forget the connection's prepared statements."""
    from django.db import NotSupportedError, transaction

    member = User.objects.create(email="stale@example.test", name="Stale Plan")

    try:
        for _ in range(6):
            read()
        _alter_elsewhere("ALTER TABLE members_user ALTER COLUMN name TYPE varchar(201)")
        with pytest.raises(NotSupportedError), transaction.atomic():
            read()
        assert read() == (member.pk, "Stale Plan")
    finally:
        _alter_elsewhere("ALTER TABLE members_user ALTER COLUMN name TYPE varchar(200)")
