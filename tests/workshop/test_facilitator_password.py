"""The facilitator password `make run` prints is kept in var/ only while it is the account's
password: changed in admin (or anywhere set_password is saved), the file is deleted, and
`manage.py facilitator` (what `make run` calls) says the password is the one set in admin."""

import io
import stat

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command

from tests.factories import log_in

pytestmark = [pytest.mark.security, pytest.mark.django_db]

NEW = "a fresh facilitator passphrase 7"


@pytest.fixture
def var(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def _facilitator(*args: str) -> str:
    out = io.StringIO()
    call_command("facilitator", *args, stdout=out)
    return out.getvalue().strip()


def test_make_run_prints_the_kept_password_again(var):
    first = _facilitator()
    password = first.split(" / ")[1]
    assert (var / "facilitator-password").read_text() == password
    assert stat.S_IMODE((var / "facilitator-password").stat().st_mode) == 0o600
    assert _facilitator() == first


def test_changing_ones_own_password_in_admin_deletes_the_file(var, client):
    password = _facilitator().split(" / ")[1]
    log_in(client, "facilitator", password)
    response = client.post(
        "/admin/password_change/",
        {"old_password": password, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302, response.content.decode()
    assert not (var / "facilitator-password").exists()
    assert _facilitator() == (
        "facilitator / the password set in admin (a new one: "
        "manage.py facilitator --username facilitator --password ...)"
    )


def test_an_administrator_setting_the_password_deletes_the_file(var, client):
    _facilitator()
    get_user_model().objects.create_superuser("admin", password="admin pass long enough")
    log_in(client, "admin", "admin pass long enough")
    user = get_user_model().objects.get(username="facilitator")
    response = client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"usable_password": "true", "password1": NEW, "password2": NEW},
    )
    assert response.status_code == 302, response.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert not (var / "facilitator-password").exists()


def test_another_accounts_password_change_leaves_the_file(var):
    _facilitator()
    other = get_user_model().objects.create_user("organiser", password="organiser pass long")
    other.set_password(NEW)
    other.save()
    assert (var / "facilitator-password").exists()


def test_a_password_changed_behind_the_apps_back_is_noticed_at_start(var):
    """A database restored from elsewhere, or an UPDATE: no set_password, so the file is
    checked against the account when `make run` starts."""
    _facilitator()
    get_user_model().objects.filter(username="facilitator").update(password=make_password(NEW))
    assert _facilitator().startswith("facilitator / the password set in admin")
    assert not (var / "facilitator-password").exists()


def test_setting_a_password_with_the_command_keeps_it(var):
    _facilitator()
    assert _facilitator("--password", NEW) == f"facilitator / {NEW}"
    assert (var / "facilitator-password").read_text() == NEW
    assert _facilitator() == f"facilitator / {NEW}"
