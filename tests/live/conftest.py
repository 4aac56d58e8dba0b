import math
import re

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connections

from tests.factories import make_attendee, make_voting_workshop
from workshop.asgi import application
from workshop.attendees import attendee_cookie_value, cookie_name
from workshop.live import sockets
from workshop.services import facilitator_ensure, live_state_ensure

# A page on http://localhost opening a socket to the same host, as a browser sends them.
ORIGIN = (b"origin", b"http://localhost")
HOST = (b"host", b"localhost")


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """Each test runs on its own event loop: give it its own in-memory layer."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def a_new_outage_each_test():
    """sockets.layer_lost acts once per outage (QUIET seconds): each test is a new one."""
    sockets._last_lost = -math.inf


@pytest.fixture(autouse=True)
async def close_orm_thread_connections(request):
    """Consumers reach the database from asgiref's ORM thread, whose connection persists
    (CONN_MAX_AGE=None, as in production); close it so PostgreSQL can drop the test DB.
    Only after a test that may use the database: for any other, pytest-django refuses the
    connection check that closing makes."""
    yield
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db:
        await database_sync_to_async(connections.close_all)()


@pytest.fixture
def live_workshop(transactional_db):
    workshop = make_voting_workshop()
    live_state_ensure(workshop=workshop)
    return workshop


class Socket:
    """A WebsocketCommunicator with helpers for the HTML frames the app's consumers send."""

    def __init__(
        self,
        path: str,
        cookies: dict[str, str] | None = None,
        headers: list[tuple[bytes, bytes]] | None = None,
    ):
        """`headers`: Origin and Host to send instead of the same-origin pair."""
        headers = list(headers) if headers is not None else [ORIGIN, HOST]
        if cookies:
            headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
        self.comm = WebsocketCommunicator(application, path, headers=headers)

    async def connect(self) -> bool:
        connected, _ = await self.comm.connect(timeout=5)
        return connected

    async def send(self, payload: dict) -> None:
        await self.comm.send_json_to(payload)

    async def send_text(self, text: str) -> None:
        await self.comm.send_to(text_data=text)

    async def receive(self, timeout: float = 3) -> str:
        return await self.comm.receive_from(timeout=timeout)

    async def receive_until(self, pattern: str, timeout: float = 5) -> str:
        """Frames until one matches (older tally pushes may come first)."""
        import asyncio

        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            frame = await self.comm.receive_from(timeout=max(remaining, 0.01))
            if re.search(pattern, frame):
                return frame

    async def receive_all(self, *patterns: str, timeout: float = 5) -> str:
        """Frames until every pattern has been seen, in any order; returns them joined."""
        seen, missing = [], list(patterns)
        while missing:
            frame = await self.receive_until("|".join(missing), timeout=timeout)
            seen.append(frame)
            missing = [p for p in missing if not re.search(p, frame)]
        return "".join(seen)

    async def drain(self) -> list[str]:
        frames = []
        while not await self.comm.receive_nothing(timeout=0.3):
            frames.append(await self.comm.receive_from())
        return frames

    async def drain_until_closed(self, timeout: float = 3) -> list[dict]:
        """Every output up to and including the socket's close."""
        out = []
        while not out or out[-1]["type"] != "websocket.close":
            out.append(await self.comm.receive_output(timeout=timeout))
        return out

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.comm.receive_nothing(timeout=timeout)

    async def close(self) -> None:
        await self.comm.disconnect()


async def phone(workshop, attendee=None) -> Socket:
    if attendee is None:
        attendee = await database_sync_to_async(make_attendee)(workshop=workshop)
    cookie = attendee_cookie_value(workshop_id=workshop.pk, attendee_id=attendee.pk)
    sock = Socket(f"/ws/j/{workshop.join_code}/", {cookie_name(workshop.pk): cookie})
    sock.attendee = attendee
    assert await sock.connect()
    return sock


async def screen(workshop) -> Socket:
    secret = await database_sync_to_async(lambda: workshop.live.screen_secret)()
    sock = Socket(f"/ws/s/{workshop.join_code}/screen/{secret}/")
    assert await sock.connect()
    return sock


def _session_cookie(username: str, *, facilitator: bool = True) -> dict[str, str]:
    if facilitator:
        user = facilitator_ensure(username=username, password="long-enough-pass-1")
        user = get_user_model().objects.get(username=user.username)
    else:
        user = get_user_model().objects.create_user(username, password="long-enough-pass-1")
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.save()
    return {settings.SESSION_COOKIE_NAME: session.session_key}


async def console(workshop, *, facilitator: bool = True, username: str = "fac") -> Socket:
    cookies = await database_sync_to_async(_session_cookie)(username, facilitator=facilitator)
    return Socket(f"/ws/s/{workshop.join_code}/console/", cookies)


def poll_theme_ids(frame: str) -> tuple[int, list[int]]:
    poll = int(re.search(r'name="poll" value="(\d+)"', frame).group(1))
    themes = [int(t) for t in re.findall(r'name="theme" value="(\d+)"', frame)]
    return poll, themes
