"""With Redis away, a facilitator's action is still stored and answered (the push is not)."""

import json
import subprocess
import sys

from tests.processes import ROOT, app_env, free_port

STAGE_NEXT = (
    "import json; from workshop.models import Workshop; "
    "from workshop.services import stage_next; "
    "w = Workshop.objects.get(join_code='PCN25'); stage_next(workshop=w); "
    "print(json.dumps(Workshop.objects.get(pk=w.pk).live.current_item.title))"
)


def test_a_stage_change_is_stored_and_answered_while_redis_is_away(tmp_path):
    def manage(*args, **extra):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
            timeout=120, env=app_env(WORKSHOP_VAR_DIR=str(tmp_path), **extra),
        )  # fmt: skip

    assert manage("migrate", "--noinput", "-v0").returncode == 0
    assert manage("load_demo").returncode == 0

    result = manage(
        "shell", "--no-imports", "-c", STAGE_NEXT,
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == "Welcome and introductions"
    assert "state push dropped: channel layer unavailable" in result.stderr
    assert "Traceback" not in result.stderr
