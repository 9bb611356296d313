"""A prepared statement gone stale under a running process is prepared again, not failed.

With prepared statements (settings: ``prepare_threshold``) a statement run five times on a
connection is prepared, and PostgreSQL refuses to run it once another connection has changed the
type of a column it returns ("cached plan must not change result type", e.g. ``migrate``
altering a ``max_length`` while the web and worker processes keep their connections for
``CONN_MAX_AGE``). psycopg forgets its prepared statements on a DROP, ALTER or ROLLBACK it runs
itself, not on another connection's: outside a transaction every later run of that statement
failed the same way until the connection closed (for the session user's SQL: every page).

Outside a transaction the failed statement did nothing (PostgreSQL refuses before running it):
the connection's prepared statements are deallocated and the statement runs once more. Inside
one the transaction is aborted: the error stands, and the rollback makes psycopg forget them.
"""

from __future__ import annotations

STALE_PLAN = "cached plan must not change result type"


def _forget_prepared_statements(raw) -> bool:
    """The connection's prepared statements are dropped, if no transaction is open.

    ``DEALLOCATE ALL`` drops them in PostgreSQL, and psycopg, seeing that command's status,
    forgets its own record of them (as it does after a DISCARD ALL or a ROLLBACK)."""
    from psycopg import pq

    if raw.info.transaction_status != pq.TransactionStatus.IDLE:
        return False
    raw.execute("DEALLOCATE ALL")
    return True


def prepare_stale_plans_again(execute, sql, params, many, context):
    """An ``execute_wrapper``: the statement again after a stale plan outside a transaction."""
    try:
        return execute(sql, params, many, context)
    except Exception as error:
        cause = error.__cause__
        if (
            getattr(cause, "sqlstate", None) != "0A000"
            or STALE_PLAN not in str(error)
            or not _forget_prepared_statements(context["connection"].connection)
        ):
            raise
    return execute(sql, params, many, context)


def retry_stale_plans(sender, connection, **kwargs) -> None:
    """``connection_created``: wrap the connection's statements when it prepares them."""
    if connection.vendor != "postgresql":
        return
    if connection.settings_dict.get("OPTIONS", {}).get("prepare_threshold") is None:
        return
    if prepare_stale_plans_again not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, prepare_stale_plans_again)
