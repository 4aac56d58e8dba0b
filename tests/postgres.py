"""Helpers for tests of races that only PostgreSQL allows (SQLite takes its write lock at
BEGIN, so two writers never overlap there)."""

import threading
import time

from django.db import connection, transaction


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


def while_uncommitted(first, second):
    """Runs first() in a transaction and, before it commits, second() in another thread
    with its own connection. Returns first's result, second's result (once first has
    committed and second has finished) and the statement second was waiting at."""
    results = []

    def other():
        try:
            results.append(second())
        finally:
            connection.close()

    with transaction.atomic():
        out = first()
        thread = threading.Thread(target=other)
        thread.start()
        waiting = statement_waiting_for_a_lock()
    thread.join(timeout=10)
    assert not thread.is_alive(), "the second transaction did not finish"
    assert len(results) == 1, "the second transaction raised"
    return out, results[0], waiting
