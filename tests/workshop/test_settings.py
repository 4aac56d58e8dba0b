"""Settings chosen by the environment (read at import, so each case runs in a fresh process)."""

import subprocess
import sys

import pytest

from tests.processes import ROOT, app_env

SHOW_LAYER = (
    "from django.conf import settings; print(settings.CHANNEL_LAYERS['default']['BACKEND'])"
)


def _settings(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + SHOW_LAYER],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=app_env(**env),
    )  # fmt: skip


@pytest.mark.parametrize(
    "env, backend",
    [
        ({}, "workshop.live.tuning.layers.InMemoryChannelLayer"),
        (  # the default with Redis: channels-redis's pub/sub layer, unpacking once per worker
            {"REDIS_URL": "redis://127.0.0.1:1/0"},
            "workshop.live.tuning.layers.RedisPubSubChannelLayer",
        ),
        (
            {"REDIS_URL": "redis://127.0.0.1:1/0", "WORKSHOP_REDIS_LAYER": "core"},
            "channels_redis.core.RedisChannelLayer",
        ),
        # The tuned layers' switch off: the libraries' own layers.
        ({"WORKSHOP_TUNE_LAYERS": "0"}, "channels.layers.InMemoryChannelLayer"),
        (
            {"REDIS_URL": "redis://127.0.0.1:1/0", "WORKSHOP_TUNE_LAYERS": "0"},
            "channels_redis.pubsub.RedisPubSubChannelLayer",
        ),
    ],
)
def test_the_channel_layer_follows_the_environment(env, backend, tmp_path):
    result = _settings({**env, "WORKSHOP_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == backend


def test_an_unknown_redis_layer_is_refused_with_a_message(tmp_path):
    result = _settings(
        {"REDIS_URL": "redis://127.0.0.1:1/0", "WORKSHOP_REDIS_LAYER": "fast",
         "WORKSHOP_VAR_DIR": str(tmp_path)}
    )  # fmt: skip
    assert result.returncode != 0
    assert "WORKSHOP_REDIS_LAYER must be core or pubsub." in result.stderr
