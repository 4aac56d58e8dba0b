"""workshop/live/tuning: the performance patches, their switches and the versions they patch."""

import subprocess
import sys
from importlib.metadata import version

import pytest
from channels.db import database_sync_to_async

from tests.live.conftest import phone, poll_theme_ids, screen
from tests.processes import ROOT, app_env
from voting.services import poll_open
from workshop.live.tuning import PATCHED

# The live tests' fixtures reset the live layer around each test, through the database.
pytestmark = pytest.mark.django_db(transaction=True)

SHOW_INSTALLED = """
import django; django.setup()
from workshop.asgi import application
from workshop.live.tuning import autobahn_log, gc as tuned_gc, socket_memory, transport
print(transport.installed(), autobahn_log.installed(), tuned_gc.installed(),
      socket_memory.installed())
"""


@pytest.mark.parametrize("package", sorted(PATCHED))
def test_the_patched_libraries_are_the_versions_the_patches_were_written_for(package):
    # A different version may have changed the internals a patch replaces: read the patched
    # code again, update the patch, re-measure with `make bench`, then update PATCHED.
    assert version(package) == PATCHED[package]


def _installed(**env) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", SHOW_INSTALLED],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=app_env(**env),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_building_the_application_installs_the_process_wide_patches(tmp_path):
    assert _installed(WORKSHOP_VAR_DIR=str(tmp_path)) == ["True", "True", "True", "True"]


def test_each_process_wide_patch_stays_out_when_switched_off(tmp_path):
    off = {
        "WORKSHOP_EAGER_WRITES": "0",
        "WORKSHOP_TUNE_AUTOBAHN_LOG": "0",
        "WORKSHOP_TUNE_GC": "0",
        "WORKSHOP_TUNE_SOCKET_MEMORY": "0",
    }
    assert _installed(WORKSHOP_VAR_DIR=str(tmp_path), **off) == ["False"] * 4


async def test_consumers_work_on_channels_own_loop_with_the_message_loop_switched_off(
    live_workshop, settings
):
    settings.TUNE_MESSAGE_LOOP = False
    poll = await database_sync_to_async(poll_open)(workshop=live_workshop, show_bars=True)
    proj = await screen(live_workshop)
    p1 = await phone(live_workshop)
    _, themes = poll_theme_ids(await p1.receive())
    await proj.drain()

    await p1.send({"action": "vote", "poll": str(poll.pk), "theme": str(themes[0])})

    assert "✓ Your vote: <strong>Theme 1</strong>" in await p1.receive()
    assert 'data-total="1"' in await proj.receive_until(f'id="tally-{poll.pk}"')
    for sock in (proj, p1):
        await sock.close()
