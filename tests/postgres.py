"""Helpers for tests of races that only PostgreSQL allows (SQLite takes its write lock at
BEGIN, so two writers never overlap there)."""

import time

from django.db import connection


def statement_waiting_for_a_lock() -> str | None:
    """The statement of the session that waits for a lock (a row, or another transaction's
    uncommitted unique key), once there is one."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else fixed for the transaction
            cursor.execute(
                "SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
            row = cursor.fetchone()
        if row:
            return row[0]
        time.sleep(0.01)
    return None
