"""The address `make run` gives phones (workshop/lan.py), and the settings that follow it."""

import subprocess
import sys

import pytest

from tests.processes import ROOT, app_env
from workshop.lan import (
    address_usable,
    host_is_loopback,
    lan_address,
    public_url_allowed,
    room_base,
    url_is_loopback,
)


@pytest.mark.parametrize(
    "address, usable",
    [
        ("192.168.1.20", True),
        ("10.0.0.5", True),
        ("172.20.1.9", True),
        ("127.0.0.1", False),
        ("127.1.2.3", False),
        ("169.254.10.2", False),  # link-local: no DHCP server answered
        ("0.0.0.0", False),
        ("fe80::1", False),
        ("not an address", False),
    ],
)
def test_an_address_is_usable_only_when_phones_could_reach_it(address, usable):
    assert address_usable(address) is usable


def test_the_lan_address_found_is_one_phones_could_reach_or_none():
    found = lan_address()
    assert found is None or address_usable(found)


def test_no_lan_address_when_no_probe_has_a_route():
    # Addresses no socket can be connected to: every probe fails, so there is no answer.
    assert lan_address(probes=("256.1.1.1", "not-an-address.invalid")) is None


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("app.localhost", True),
        ("192.168.1.20", False),
        ("live.example.org", False),
        ("", False),
    ],
)
def test_loopback_hosts_are_recognised(host, loopback):
    assert host_is_loopback(host) is loopback


def test_a_url_is_loopback_by_its_host_only():
    assert url_is_loopback("http://127.0.0.1:8000/j/PCN25")
    assert url_is_loopback("http://[::1]:8000")
    assert not url_is_loopback("http://192.168.1.20:8000/j/PCN25")
    assert not url_is_loopback("https://live.example.org/localhost")


def test_make_run_on_every_interface_uses_the_lan_address():
    assert room_base(host="0.0.0.0", port=8000, lan="192.168.1.20") == (
        "http://192.168.1.20:8000",
        "",
    )


def test_make_run_without_a_lan_address_falls_back_to_loopback_and_says_so():
    base, note = room_base(host="0.0.0.0", port=8000, lan=None)
    assert base == "http://127.0.0.1:8000"
    assert note.startswith("No network address found: phones cannot reach this laptop.")


def test_make_run_on_loopback_is_a_private_rehearsal():
    base, note = room_base(host="127.0.0.1", port=8001, lan="192.168.1.20")
    assert base == "http://127.0.0.1:8001"
    assert note.startswith("Private rehearsal: served on 127.0.0.1 only, phones cannot reach it.")


def test_make_run_on_a_chosen_address_uses_it():
    assert room_base(host="10.1.2.3", port=8000, lan="192.168.1.20") == ("http://10.1.2.3:8000", "")
    assert room_base(host="fd00::5", port=8000, lan=None) == ("http://[fd00::5]:8000", "")


def test_the_join_address_is_allowed_as_host_and_trusted_as_origin():
    hosts, origins = public_url_allowed("http://192.168.1.20:8000", ["localhost", "127.0.0.1"], [])
    assert hosts == ["localhost", "127.0.0.1", "192.168.1.20"]
    assert origins == ["http://192.168.1.20:8000"]


def test_an_already_allowed_join_address_is_not_listed_twice():
    hosts, origins = public_url_allowed(
        "https://live.example.org", ["live.example.org"], ["https://live.example.org"]
    )
    assert (hosts, origins) == (["live.example.org"], ["https://live.example.org"])
    assert public_url_allowed("", ["a"], ["b"]) == (["a"], ["b"])


def _settings(env: dict, tmp_path) -> list[str]:
    show = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.ALLOWED_HOSTS); print(settings.CSRF_TRUSTED_ORIGINS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", show],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env=app_env(WORKSHOP_VAR_DIR=str(tmp_path), **env),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-2:]


def test_settings_allow_the_join_address_make_run_sets(tmp_path):
    env = {
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "WORKSHOP_PUBLIC_URL": "http://192.168.1.20:8000/",
    }
    assert _settings(env, tmp_path) == [
        "['localhost', '127.0.0.1', '192.168.1.20']",
        "['http://192.168.1.20:8000']",
    ]


def test_the_lan_command_prints_the_base_and_an_empty_note_or_a_warning():
    result = subprocess.run(
        [sys.executable, "-m", "workshop.lan", "127.0.0.1", "8000"],
        cwd=ROOT, capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    base, note = result.stdout.splitlines()
    assert base == "http://127.0.0.1:8000"
    assert "phones cannot reach it" in note
