"""The production settings README documents: `manage.py check --deploy` finds nothing to warn
about, and HTTPS is enforced (redirect, HSTS, secure cookies). Settings are read at import, so
each case runs in a fresh process."""

import json
import subprocess
import sys

import pytest

from tests.processes import ROOT, app_env

pytestmark = pytest.mark.security

# README's "Production settings": the app behind TLS at https://live.example.org.
PRODUCTION = {
    "DJANGO_SECRET_KEY": "k3Hq9-vT2xLwP8sZr6YbNc4JmF0aGdUe7RiXoE1hKj5Qt_WnVyBlSpMzDfCgAu",
    "DJANGO_ALLOWED_HOSTS": "live.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://live.example.org",
    "DJANGO_HTTPS": "1",
    "WORKSHOP_PUBLIC_URL": "https://live.example.org",
}


def _run(args: list[str], env: dict, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=app_env(WORKSHOP_VAR_DIR=str(tmp_path), **env),
    )  # fmt: skip


def _check_deploy(env: dict, tmp_path) -> subprocess.CompletedProcess:
    return _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)


def test_check_deploy_is_silent_with_the_documented_production_settings(tmp_path):
    result = _check_deploy(PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (2 silenced)."
    assert result.stderr == ""


def test_check_deploy_warns_without_https(tmp_path):
    """The check above can fail: without DJANGO_HTTPS it names what is missing."""
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_HTTPS"}
    result = _check_deploy(env, tmp_path)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_check_deploy_warns_about_a_weak_secret_key_and_debug(tmp_path):
    env = {**PRODUCTION, "DJANGO_SECRET_KEY": "short", "DJANGO_DEBUG": "1"}
    result = _check_deploy(env, tmp_path)
    assert result.returncode != 0
    assert "security.W009" in result.stderr and "security.W018" in result.stderr


# What a plain-HTTP and an HTTPS request get back, from a fresh process with `env`.
REQUESTS = """
import json, django
django.setup()
from django.test import Client
from django.test.utils import override_settings, setup_test_environment
setup_test_environment()
# Static files are not collected here: plain static URLs instead of the manifest's.
override_settings(STORAGES={
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}).enable()
client = Client(HTTP_HOST="live.example.org")
plain = client.get("/")
secure = client.get("/", secure=True)
print(json.dumps({
    "plain": [plain.status_code, plain.headers.get("Location")],
    "hsts": secure.headers.get("Strict-Transport-Security"),
    "csrf_cookie_secure": bool(secure.cookies["csrftoken"]["secure"]),
}))
"""


def _requests(env: dict, tmp_path) -> dict:
    result = _run(["-c", REQUESTS], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_https_settings_redirect_plain_http_and_send_hsts(tmp_path):
    seen = _requests(PRODUCTION, tmp_path)
    assert seen["plain"] == [301, "https://live.example.org/"]
    assert seen["hsts"] == "max-age=31536000"
    assert seen["csrf_cookie_secure"] is True


def test_hsts_lifetime_and_subdomains_are_chosen_by_the_environment(tmp_path):
    env = {**PRODUCTION, "DJANGO_HSTS_SECONDS": "600", "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "1"}
    assert _requests(env, tmp_path)["hsts"] == "max-age=600; includeSubDomains"


def test_plain_http_is_served_as_is_without_https_settings(tmp_path):
    """`make run` on a room's network: no redirect, no HSTS, cookies sent over HTTP."""
    env = {"DJANGO_ALLOWED_HOSTS": "live.example.org"}
    assert _requests(env, tmp_path) == {
        "plain": [200, None],
        "hsts": None,
        "csrf_cookie_secure": False,
    }


def test_a_malformed_hsts_lifetime_is_refused_with_a_message(tmp_path):
    result = _run(["manage.py", "check"], {**PRODUCTION, "DJANGO_HSTS_SECONDS": "a year"}, tmp_path)
    assert result.returncode != 0
    assert "DJANGO_HSTS_SECONDS must be a whole number of seconds" in result.stderr
