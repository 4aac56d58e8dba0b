"""Joining and leaving groups (workshop/live/groups.py)."""

import asyncio
import uuid

import pytest
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from redis.asyncio import Redis

from workshop.live import groups
from workshop.live.groups import Surface, group_join, group_leave, group_name

# No database here, but tests/live's fixtures close the ORM thread's connections after each.
pytestmark = pytest.mark.django_db


def test_group_names_are_one_per_workshop_and_surface():
    assert group_name(workshop_id=7, surface=Surface.PHONE) == "session-7.phone"
    assert group_name(workshop_id=7, surface="screen") == "session-7.screen"


@pytest.mark.skipif(
    not settings.REDIS_URL, reason="needs Redis: runs in make test's PostgreSQL + Redis stage"
)
async def test_a_thousand_sockets_leaving_at_once_use_a_handful_of_redis_connections():
    """As after a Redis restart, when every socket of a worker closes together."""
    name = f"workshop-live-test:{uuid.uuid4().hex}"
    layer = RedisChannelLayer(hosts=[{"address": settings.REDIS_URL, "client_name": name}])
    admin = Redis.from_url(settings.REDIS_URL)
    group = f"test-{uuid.uuid4().hex}"
    channels = [await layer.new_channel() for _ in range(1000)]
    await asyncio.gather(*(group_join(layer, group, c) for c in channels))

    await asyncio.gather(*(group_leave(layer, group, c) for c in channels))

    connections = [c for c in await admin.client_list() if c.get("name") == name]
    assert 0 < len(connections) <= groups.CALLS_AT_ONCE
    assert await admin.zcard(f"{layer.prefix}:group:{group}") == 0  # every one has left
    await layer.flush()
    await layer.close_pools()
    await admin.aclose()
