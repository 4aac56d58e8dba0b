"""scripts/serve.py refuses, with a message saying why, what would give a broken room."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.processes import ROOT, app_env, free_port


def _serve(*args: str, **env: str) -> subprocess.CompletedProcess:
    if "--worker-ports" not in args:  # serve.py's default, the ports after --port, may be taken
        workers = int(args[args.index("--workers") + 1]) if "--workers" in args else 2
        args = (*args, "--worker-ports", ",".join(str(free_port()) for _ in range(workers)))
    return subprocess.run(
        [sys.executable, "scripts/serve.py", "--port", str(free_port()), *args],
        cwd=ROOT, env=app_env(**env), capture_output=True, text=True, timeout=30,
    )  # fmt: skip


def test_several_workers_without_redis_are_refused():
    result = _serve("--workers", "2")
    assert result.returncode == 2
    assert "Several workers need a shared channel layer: set REDIS_URL" in result.stderr


def test_several_worker_ports_count_as_several_workers():
    # two ports and no --workers: two workers, so Redis is needed just the same
    result = _serve("--worker-ports", f"{free_port()},{free_port()}")
    assert result.returncode == 2
    assert "Several workers need a shared channel layer" in result.stderr
    result = _serve("--workers", "1", "--worker-ports", f"{free_port()},{free_port()}")
    assert result.returncode == 2
    assert "--workers 1 but 2 --worker-ports" in result.stderr


def test_static_files_not_collected_are_refused_before_any_worker_starts(tmp_path):
    result = _serve("--workers", "1", DJANGO_STATIC_ROOT=str(tmp_path / "nothing-here"))
    assert result.returncode == 2
    assert f"No static files in {tmp_path / 'nothing-here'}" in result.stderr
    assert "collectstatic" in result.stderr
    assert "==> nginx on" not in result.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="nginx's workers drop to `nobody` only under root")
def test_static_files_that_nginx_workers_cannot_read_are_refused(tmp_path):
    static = tmp_path / "static"  # pytest's own directories are closed to others
    (static / "js").mkdir(parents=True)
    (static / "js" / "live.js").write_text("// collected")
    result = _serve("--workers", "1", DJANGO_STATIC_ROOT=str(static))
    assert result.returncode == 2
    assert f"nginx's workers run as `nobody` and cannot read {static}" in result.stderr


def test_a_worker_port_in_use_is_refused_before_anything_starts():
    with socket.socket() as other:  # something else already has the worker's port
        other.bind(("127.0.0.1", 0))
        other.listen()
        taken = other.getsockname()[1]
        result = _serve("--workers", "1", "--worker-ports", str(taken))
    assert result.returncode == 2
    assert f"In use already: 127.0.0.1:{taken}" in result.stderr
    assert "==> nginx on" not in result.stdout


@pytest.fixture
def static_root():
    """Collected static files (one is enough for serve.py's check) where anyone can read."""
    static = Path(tempfile.mkdtemp(prefix="wl-serve-static-"))
    static.chmod(0o755)
    (static / "js").mkdir()
    (static / "js" / "live.js").write_text("// collected")
    yield static
    shutil.rmtree(static, ignore_errors=True)


def test_a_worker_that_cannot_start_stops_serve_and_leaves_nothing_running(static_root):
    static = static_root
    port = free_port()
    result = _serve(
        "--workers", "1", "--worker-ports", str(port),
        DJANGO_STATIC_ROOT=str(static), DJANGO_SETTINGS_MODULE="workshop.no_such_settings",
    )  # fmt: skip
    assert result.returncode == 1
    assert f"the worker on port {port} exited while starting" in result.stderr
    assert "==> nginx on" not in result.stdout
    leftover = subprocess.run(["pgrep", "-f", f"daphne.*-p {port} "], capture_output=True)
    assert leftover.returncode == 1, leftover.stdout  # no process matched
