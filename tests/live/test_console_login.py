"""The console socket lives only as long as the facilitator's login (ConsoleConsumer)."""

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from tests.live.conftest import Socket, console, screen
from workshop.live import sockets
from workshop.live.consumers import ConsoleConsumer
from workshop.models import LiveState
from workshop.services import stage_next

pytestmark = [pytest.mark.security, pytest.mark.django_db(transaction=True)]

ENDED = "Your login has ended. Sign in again."


def _session_key(sock) -> str:
    cookie = dict(sock.comm.scope["headers"])[b"cookie"].decode()
    return cookie.split(f"{settings.SESSION_COOKIE_NAME}=", 1)[1].split(";", 1)[0]


async def _open_console(workshop, username="fac"):
    desk = await console(workshop, username=username)
    assert await desk.connect()
    await desk.drain()
    return desk


async def _screen_choice(workshop) -> str:
    return await database_sync_to_async(lambda: LiveState.objects.get(workshop=workshop).screen)()


async def _change_user(username: str, change) -> None:
    def apply():
        user = get_user_model().objects.get(username=username)
        change(user)
        user.save()

    await database_sync_to_async(apply)()


async def _log_out(session_key: str) -> None:
    """The admin's Log out button, sent with the login's session cookie."""

    def post():
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
        assert client.post("/admin/logout/").status_code == 200

    await sync_to_async(post)()


async def _ended(desk) -> tuple[str, dict]:
    """The refusal frame, then the close."""
    frame = await desk.receive()
    return frame, await desk.comm.receive_output(timeout=3)


async def test_logging_out_closes_the_console_socket(live_workshop):
    desk = await _open_console(live_workshop)

    await _log_out(_session_key(desk))

    frame, close = await _ended(desk)
    assert ENDED in frame
    assert close == {"type": "websocket.close", "code": sockets.LOGIN_ENDED}


async def test_after_logging_out_an_action_is_not_obeyed(live_workshop):
    desk = await _open_console(live_workshop)
    await _log_out(_session_key(desk))
    await _ended(desk)

    await desk.send({"action": "screen_show", "screen": "join"})

    assert await desk.nothing()
    assert await _screen_choice(live_workshop) == "auto"


async def test_after_logging_out_pushes_stop(live_workshop):
    desk = await _open_console(live_workshop)
    await _log_out(_session_key(desk))
    await _ended(desk)

    await database_sync_to_async(stage_next)(workshop=live_workshop)

    assert await desk.nothing(timeout=0.5)


def _second_session(session_key: str) -> str:
    """The same user logged in again elsewhere: a copy of the session under a new key."""
    first = SessionStore(session_key)
    second = SessionStore()
    second.update(first.load())
    second.create()
    return second.session_key


async def test_logging_out_one_session_leaves_the_others_consoles_open(live_workshop):
    mine = await _open_console(live_workshop)
    other_key = await database_sync_to_async(_second_session)(_session_key(mine))
    other = Socket(
        f"/ws/s/{live_workshop.join_code}/console/", {settings.SESSION_COOKIE_NAME: other_key}
    )
    assert await other.connect()
    await other.drain()

    await _log_out(_session_key(mine))
    await _ended(mine)
    await other.send({"action": "screen_show", "screen": "join"})

    assert "The projector now shows what you picked." in await other.receive_until("flash")
    await other.close()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda user: user.set_password("another-long-pass-2"), id="password"),
        pytest.param(lambda user: setattr(user, "is_active", False), id="deactivated"),
        pytest.param(lambda user: user.groups.clear(), id="permission-removed"),
    ],
)
async def test_an_action_after_the_login_ended_is_refused_and_closes(live_workshop, change):
    desk = await _open_console(live_workshop)
    await _change_user("fac", change)

    await desk.send({"action": "screen_show", "screen": "join"})

    frame, close = await _ended(desk)
    assert ENDED in frame
    assert close == {"type": "websocket.close", "code": sockets.LOGIN_ENDED}
    assert await _screen_choice(live_workshop) == "auto"


async def test_a_push_after_a_password_change_closes_instead(live_workshop, monkeypatch):
    monkeypatch.setattr(ConsoleConsumer, "login_recheck", 0.0)
    desk = await _open_console(live_workshop)
    projector = await screen(live_workshop)
    await projector.drain()
    await _change_user("fac", lambda user: user.set_password("another-long-pass-2"))

    await database_sync_to_async(stage_next)(workshop=live_workshop)

    frame, close = await _ended(desk)
    assert ENDED in frame and 'id="console-stage"' not in frame
    assert close == {"type": "websocket.close", "code": sockets.LOGIN_ENDED}
    assert 'id="screen-main"' in await projector.receive_until("screen-main")  # others go on
    await projector.close()


async def test_pushes_are_not_rechecked_within_the_recheck_time(live_workshop):
    desk = await _open_console(live_workshop)

    await database_sync_to_async(stage_next)(workshop=live_workshop)

    assert 'id="console-stage"' in await desk.receive_until("console-stage")
    await desk.close()
