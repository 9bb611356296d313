"""Each benchmark works in its own throw-away PostgreSQL database, next to DATABASE_URL's.

``<name>_bench_<benchmark>`` is created empty before the run and dropped after it, so the
benchmarks neither see each other's rows nor touch real data, whatever order they run in.
"""

from __future__ import annotations

import atexit
import os
from urllib.parse import urlparse, urlunparse


def _recreate(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
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


def use_throwaway_database(benchmark: str) -> str | None:
    """Point DATABASE_URL at a fresh database for ``benchmark``; None without PostgreSQL.

    Call before ``django.setup()``; child processes (gunicorn, Celery) inherit the variable.
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    parsed = urlparse(url)
    name = f"{parsed.path.lstrip('/') or 'postgres'}_bench_{benchmark}"
    throwaway = urlunparse(parsed._replace(path="/" + name))
    _recreate(throwaway)
    os.environ["DATABASE_URL"] = throwaway
    atexit.register(_drop, throwaway)
    return throwaway
