"""Each benchmark works in its own throw-away PostgreSQL database, next to DATABASE_URL's.

``<name>_bench_<benchmark>`` is created empty before the run and dropped after it, so the
benchmarks neither see each other's rows nor touch real data, whatever order they run in.
"""

from __future__ import annotations

import atexit
import os
from urllib.parse import urlparse, urlunparse


def _recreate(url: str, *, drop_only: bool = False, reuse: bool = False) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        if reuse:
            found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if found.fetchone():
                return
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{name}"')


def _drop(url: str) -> None:
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # noqa: BLE001, S110 - Django may not be set up; the drop forces anyway
        pass
    _recreate(url, drop_only=True)


def use_throwaway_database(benchmark: str, *, keep: bool = False) -> str | None:
    """Point DATABASE_URL at a fresh database for ``benchmark``; None without PostgreSQL.

    Call before ``django.setup()``; child processes (gunicorn, Celery) inherit the variable.
    With ``keep`` the database is reused if it exists and left in place after the run (to
    study its queries, or time them again without building the data anew).
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    parsed = urlparse(url)
    name = f"{parsed.path.lstrip('/') or 'postgres'}_bench_{benchmark}"
    throwaway = urlunparse(parsed._replace(path="/" + name))
    _recreate(throwaway, reuse=keep)
    os.environ["DATABASE_URL"] = throwaway
    if not keep:
        atexit.register(_drop, throwaway)
    return throwaway
