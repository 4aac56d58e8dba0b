"""PostgreSQL for the scale-out mode: creating and dropping the measurement's database, and
a probe of where a burst waits (lock waits, open transactions, ballots per commit)."""

import contextlib
import threading


def pg_admin(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql)


def drop_database(server: str, database: str) -> None:
    """A measurement's database, gone (this process's connections to it closed first)."""
    with contextlib.suppress(Exception):
        from django.db import connections

        connections.close_all()
    with contextlib.suppress(Exception):
        pg_admin(server, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


class PgProbe:
    """Where a burst waits in PostgreSQL. While the vote runs, a thread samples
    pg_stat_activity for the bench database every 20 ms: how many worker sessions are running
    a statement, waiting for a lock, or holding a transaction open while Python works ("idle
    in transaction"). Afterwards it counts the write transactions: every ballot a transaction
    inserted carries that transaction's id (xmin), so distinct xmin = batches committed."""

    ACTIVITY = """
        SELECT count(*) FILTER (WHERE state = 'active'
                                AND wait_event_type IS DISTINCT FROM 'Lock'),
               count(*) FILTER (WHERE wait_event_type = 'Lock'),
               count(*) FILTER (WHERE state = 'idle in transaction')
        FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
    """
    BATCHES = "SELECT count(*) FROM {table} WHERE poll_id = %s GROUP BY xmin::text"

    def __init__(self, url: str, poll_id: int):
        self.url, self.poll_id, self.samples = url, poll_id, []
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.error: str | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import psycopg

        try:
            with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                while not self.stopping.wait(0.02):
                    self.samples.append(conn.execute(self.ACTIVITY).fetchone())
        except Exception as error:
            self.error = f"{type(error).__name__}: {error}"[:200]

    def stop(self) -> dict:
        import psycopg

        self.stopping.set()
        if self.thread:
            self.thread.join(timeout=10)
        n, sizes = len(self.samples), []
        try:
            with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                from voting.models import Ballot  # Django is set up in this process

                query = self.BATCHES.format(table=Ballot._meta.db_table)
                sizes = [row[0] for row in conn.execute(query, [self.poll_id])]
        except Exception as error:
            self.error = self.error or f"{type(error).__name__}: {error}"[:200]

        def mean(i: int) -> float | None:
            return round(sum(s[i] for s in self.samples) / n, 2) if n else None

        return {
            "samples": n,
            "sessions_running_statement": mean(0),
            "sessions_waiting_for_lock": mean(1),
            "sessions_idle_in_transaction": mean(2),
            "write_transactions": len(sizes),
            "ballots_per_write_transaction": {
                "mean": round(sum(sizes) / len(sizes), 1) if sizes else None,
                "max": max(sizes, default=None),
            },
            "error": self.error,
        }
