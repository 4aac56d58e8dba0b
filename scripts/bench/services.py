"""The throwaway Redis and PostgreSQL that scripts/services.sh starts in a directory: their
start and stop, URLs, a Redis restart, their versions."""

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .config import ROOT

SERVICES_TIMEOUT = 120.0
SCRIPT = str(ROOT / "scripts" / "services.sh")


@contextlib.contextmanager
def throwaway_services() -> Iterator[Path]:
    """Redis and PostgreSQL started in a fresh directory (yielded), stopped and removed after,
    whatever happens in between."""
    services = Path(tempfile.mkdtemp(prefix="wl-bench-services-"))
    services.chmod(0o755)  # PostgreSQL runs as its own account when this runs as root
    try:
        started = subprocess.run(
            ["bash", SCRIPT, "start", str(services)],
            cwd=ROOT, capture_output=True, text=True, timeout=SERVICES_TIMEOUT,
        )  # fmt: skip
        if started.returncode:
            raise RuntimeError(f"services.sh start failed: {started.stderr.strip()[-500:]}")
        yield services
    finally:
        subprocess.run(
            ["bash", SCRIPT, "stop", str(services)], cwd=ROOT, capture_output=True,
            timeout=SERVICES_TIMEOUT,
        )  # fmt: skip
        shutil.rmtree(services, ignore_errors=True)


def services_env(directory: Path) -> dict[str, str]:
    """REDIS_URL and DATABASE_URL as scripts/services.sh wrote them to DIR/env."""
    found = {}
    for line in (directory / "env").read_text().splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        if key.strip() and value:
            found[key.strip()] = value.strip()
    return found


def services_restart_redis(services: Path) -> None:
    subprocess.run(
        ["bash", SCRIPT, "restart-redis", str(services)],
        check=True, capture_output=True, timeout=SERVICES_TIMEOUT,
    )  # fmt: skip


def services_versions(services: Path) -> dict:
    def first_line(*command: str) -> str | None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            run = subprocess.run(command, capture_output=True, text=True, timeout=10)
            return (run.stdout or run.stderr).strip().splitlines()[0]
        return None

    pg_bin = (services / "pg.bin").read_text().strip() if (services / "pg.bin").exists() else ""
    return {
        "redis_server": first_line("redis-server", "--version"),
        "postgresql": first_line(f"{pg_bin}/postgres", "--version") if pg_bin else None,
    }
