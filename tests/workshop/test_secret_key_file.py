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
