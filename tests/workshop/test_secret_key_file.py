"""The generated secret key is created private to its owner."""

import stat
import subprocess
import sys

import pytest

from tests.processes import ROOT, app_env

pytestmark = pytest.mark.security


def test_generated_secret_key_is_owner_only(tmp_path):
    var = tmp_path / "var"
    env = app_env(WORKSHOP_VAR_DIR=str(var))
    env.pop("DJANGO_SECRET_KEY", None)
    subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env=env, check=True, timeout=60, umask=0o022,
    )  # fmt: skip
    assert stat.S_IMODE((var / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE(var.stat().st_mode) == 0o711


def test_uploaded_media_is_owner_only(tmp_path, settings):
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage

    settings.MEDIA_ROOT = tmp_path / "media"
    storage = FileSystemStorage()
    name = storage.save("reports/a.txt", ContentFile(b"x"))
    assert stat.S_IMODE((tmp_path / "media" / name).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "media" / "reports").stat().st_mode) == 0o700


def test_collected_static_files_stay_readable_by_others(tmp_path):
    """Uploads are private (FILE_UPLOAD_PERMISSIONS), but static files are public: nginx's
    workers, another user, read them under scripts/serve.py."""
    static = tmp_path / "static"
    env = app_env(WORKSHOP_VAR_DIR=str(tmp_path / "var"), DJANGO_STATIC_ROOT=str(static))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True, timeout=120, umask=0o022,
    )  # fmt: skip
    files = [p for p in static.rglob("*") if p.is_file()]
    assert any(p.name.startswith("live.") for p in files)
    closed = [p for p in static.rglob("*") if not stat.S_IMODE(p.stat().st_mode) & stat.S_IROTH]
    assert closed == []
