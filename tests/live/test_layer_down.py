"""With Redis away, a facilitator's action is still stored and answered (the push is not)."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAGE_NEXT = (
    "import json; from workshop.models import Workshop; "
    "from workshop.services import stage_next; "
    "w = Workshop.objects.get(join_code='PCN25'); stage_next(workshop=w); "
    "print(json.dumps(Workshop.objects.get(pk=w.pk).live.current_item.title))"
)


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again at once: nothing listens there


def test_a_stage_change_is_stored_and_answered_while_redis_is_away(tmp_path):
    clean = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env = {**clean, "DJANGO_SETTINGS_MODULE": "workshop.settings",
           "WORKSHOP_VAR_DIR": str(tmp_path)}  # fmt: skip

    def manage(*args, **extra):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
            timeout=120, env={**env, **extra},
        )  # fmt: skip

    assert manage("migrate", "--noinput", "-v0").returncode == 0
    assert manage("load_demo").returncode == 0

    result = manage(
        "shell", "--no-imports", "-c", STAGE_NEXT,
        REDIS_URL=f"redis://127.0.0.1:{_dead_port()}/0",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == "Welcome and introductions"
    assert "state push dropped: channel layer unavailable" in result.stderr
    assert "Traceback" not in result.stderr
