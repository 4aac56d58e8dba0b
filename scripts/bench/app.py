"""The app's side of a measurement, run in the bench process with the server's
WORKSHOP_VAR_DIR (so the same database and the same secret key): a fresh database with the
demo workshop, N attendees and their signed cookies, the vote open, a facilitator's session;
afterwards, the ballots as stored. Django is set up here, not imported at module level, so
the rest of the bench runs without it."""

import contextlib
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from .config import JOIN_CODE, PY, ROOT


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300
    )


def prepare(var: Path, phones: int, services: dict | None = None) -> tuple[dict, dict]:
    """Fresh database with the demo workshop, N attendees with cookies, the vote open.

    services: {DATABASE_URL, REDIS_URL} of an empty PostgreSQL database and a Redis for the
    scale-out setup; without it, the embedded default (SQLite and the in-memory layer)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "workshop.settings",
        "WORKSHOP_VAR_DIR": str(var),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    for key in ("DATABASE_URL", "REDIS_URL"):
        env.pop(key, None)
        os.environ.pop(key, None)
    env.update(services or {})
    manage(env, "migrate", "--noinput", "-v0")
    # Static files are the same for every mode: collected once per bench run (13 s).
    static = Path(env.setdefault("DJANGO_STATIC_ROOT", str(var / "static")))
    if not (static / "staticfiles.json").exists():
        manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "load_demo")
    manage(env, "facilitator", "--username", "bench", "--password", "bench-only-password-1")
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "WORKSHOP_VAR_DIR")})
    os.environ["DJANGO_ALLOWED_HOSTS"] = env["DJANGO_ALLOWED_HOSTS"]
    os.environ.update(services or {})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from voting.services import poll_open
    from workshop.attendees import attendee_cookie_value, cookie_name
    from workshop.models import Attendee, Workshop
    from workshop.services import live_state_ensure

    workshop = Workshop.objects.get(join_code=JOIN_CODE)
    rows = Attendee.objects.bulk_create([Attendee(workshop=workshop) for _ in range(phones)])
    name = cookie_name(workshop.pk)
    cookies = [
        (a.pk, f"{name}={attendee_cookie_value(workshop_id=workshop.pk, attendee_id=a.pk)}")
        for a in rows
    ]
    poll = poll_open(workshop=workshop, show_bars=True)
    state = live_state_ensure(workshop=workshop)
    info = {
        "console_cookie": console_cookie("bench"),
        "workshop_id": workshop.pk,
        "poll_id": poll.pk,
        "theme_ids": sorted(poll.options.values_list("pk", flat=True)),
        "secret": state.screen_secret,
        "cookies": cookies,
    }
    return env, info


def console_cookie(username: str) -> str:
    """A logged-in session for the facilitator (as a login would make), as a Cookie header."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )

    user = get_user_model().objects.get(username=username)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def stored_ballots(poll_id: int, keys: bool = False) -> dict[int, int | tuple[int, str]]:
    """{attendee id: theme id} for the poll, read from the database; with keys=True,
    {attendee id: (theme id, the tap's idempotency key)}."""
    from django.db import connection

    from voting.models import Ballot

    ballots = Ballot.objects.filter(poll_id=poll_id)
    rows = (
        {a: (t, k) for a, t, k in ballots.values_list("attendee_id", "theme_id", "key")}
        if keys
        else dict(ballots.values_list("attendee_id", "theme_id"))
    )
    connection.close()  # called through a worker thread: do not leave its connection open
    return rows


def app_fingerprint() -> str:
    """A hash of the app's code and templates: measurements compared as a ratio must run the
    same code (the tree may be edited while a long run goes on)."""
    digest = hashlib.sha1()
    for top in ("workshop", "voting", "panel", "evidence", "templates"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in {".py", ".html", ".js"} and "__pycache__" not in path.parts:
                with contextlib.suppress(OSError):
                    digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()[:12]
