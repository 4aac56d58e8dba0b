"""The benchmark's lean WebSocket client, checked against an independent server (websockets)."""

import asyncio
import sys

import pytest
from websockets.asyncio.server import serve

from tests.processes import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from bench.ws import Closed, connect


@pytest.fixture
async def echo_server():
    pings = []

    async def echo(connection):
        pings.append(await connection.ping(b"are you there"))  # answered by the client
        async for message in connection:
            await connection.send(message)

    async with serve(echo, "127.0.0.1", 0, compression=None, max_size=2**20) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/ws/", pings


async def test_frames_of_every_length_encoding_go_out_and_come_back(echo_server):
    url, pings = echo_server
    ws = await connect(url, headers=[("Origin", "http://127.0.0.1")], timeout=5)

    for text in ("✓ vote", "x" * 300, "é" * 40_000):  # 7-bit, 16-bit and 64-bit lengths
        await ws.send(text)
        assert await asyncio.wait_for(ws.recv(), 5) == text
    await asyncio.wait_for(pings[0], 5)  # the pong arrived
    assert ws.close_code is None  # the server has not closed it
    await ws.close()

    with pytest.raises(Closed):
        await ws.send("after close")


async def test_a_refused_handshake_raises_closed():
    async def refuse(connection, request):
        return connection.respond(403, "no\n")

    async with serve(lambda c: None, "127.0.0.1", 0, process_request=refuse) as server:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(Closed, match="403"):
            await connect(f"ws://127.0.0.1:{port}/", headers=[], timeout=5)


async def test_the_server_closing_ends_iteration_after_its_last_frame_and_gives_its_code():
    async def goodbye(connection):
        await connection.send("bye")
        await connection.close(4011)  # as a worker asks its sockets to come back

    async with serve(goodbye, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        ws = await connect(f"ws://127.0.0.1:{port}/", headers=[], timeout=5)
        assert [frame async for frame in ws] == ["bye"]
        with pytest.raises(Closed):
            await ws.recv()
        assert ws.close_code == 4011


async def test_a_listener_gets_each_frame_and_then_none_when_the_server_closes():
    """The burst's path: frames built ahead, sent without awaiting, answers to a callback."""

    async def answer_twice(connection):
        message = await connection.recv()
        await connection.send(f"first {message}")
        await connection.send(f"second {message}")
        await connection.close()

    async with serve(answer_twice, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        ws = await connect(f"ws://127.0.0.1:{port}/", headers=[], timeout=5)
        heard, closed = [], asyncio.Event()

        def listener(frame):
            heard.append(frame)
            if frame is None:
                closed.set()

        ws.listen(listener)
        ws.send_frame(ws.frame("vote é"))
        await asyncio.wait_for(closed.wait(), 5)
        assert heard == ["first vote é", "second vote é", None]
        with pytest.raises(Closed):
            ws.send_frame(ws.frame("too late"))


async def test_frames_after_the_listener_is_removed_go_to_recv_again(echo_server):
    url, _ = echo_server
    ws = await connect(url, headers=[], timeout=5)
    heard = asyncio.Queue()
    ws.listen(heard.put_nowait)
    ws.send_frame(ws.frame("to the listener"))
    assert await asyncio.wait_for(heard.get(), 5) == "to the listener"

    ws.listen(None)
    await ws.send("to recv")
    assert await asyncio.wait_for(ws.recv(), 5) == "to recv"
    assert heard.empty()
    await ws.close()


async def test_listening_on_a_closed_socket_reports_the_close_at_once(echo_server):
    url, _ = echo_server
    ws = await connect(url, headers=[], timeout=5)
    await ws.close()
    heard = []
    ws.listen(heard.append)
    assert heard == [None]
