"""For tests that run the app in processes of their own (daphne, manage.py)."""

import os
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A loopback port nothing listens on (closed again at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(**extra: str) -> dict[str, str]:
    """This environment without the outer run's database and channel layer, plus `extra`."""
    outer = ("DATABASE_URL", "REDIS_URL", "WORKSHOP_REDIS_LAYER")
    env = {k: v for k, v in os.environ.items() if k not in outer}
    return {**env, "DJANGO_SETTINGS_MODULE": "workshop.settings", **extra}


def mark_directory(items, directory: Path, marker) -> None:
    """Give every collected test under `directory` the marker (the suites `make test` runs
    on their own: browser, scaleout)."""
    for item in items:
        if directory in Path(item.fspath).parents:
            item.add_marker(marker)
