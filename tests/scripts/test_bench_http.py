"""The benchmark's lean HTTP client (doors mode), against a small real server on loopback."""

import asyncio
import gzip
import sys

import pytest

from tests.processes import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from bench.doors import source_address
from bench.httpclient import Browser


class Server:
    """Answers each request with the next of `answers` (raw bytes); records what it saw.
    An answer of None closes the connection without answering."""

    def __init__(self, answers: list[bytes | None]):
        self.answers = list(answers)
        self.requests: list[tuple[str, bytes]] = []  # (peer address, head and body)
        self.connections = 0

    async def handle(self, reader, writer):
        self.connections += 1
        peer = writer.get_extra_info("peername")[0]
        try:
            while self.answers:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                self.requests.append((peer, head + await reader.readexactly(length)))
                answer = self.answers.pop(0)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        writer.close()


@pytest.fixture
async def serve():
    servers = []

    async def start(answers):
        server = Server(answers)
        listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        servers.append(listening)
        return server, listening.sockets[0].getsockname()[1]

    yield start
    for listening in servers:
        listening.close()
        await listening.wait_closed()


async def test_chunked_and_sized_bodies_on_one_kept_alive_connection_with_cookies(serve):
    server, port = await serve(
        [
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
            b"Set-Cookie: csrftoken=abc; Path=/; SameSite=Lax\r\n\r\n"
            b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\nSet-Cookie: wl_attendee_1=7:sig; HttpOnly\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
        ]
    )
    browser = Browser("127.0.0.1", port, timeout=5)

    first = await browser.get("/j/PCN25/")
    joined = await browser.request("POST", "/j/PCN25/join/", [("X-CSRFToken", "t")])
    again = await browser.get("/j/PCN25/")

    assert (first.status, first.body) == (200, b"hello, world")
    assert (joined.status, joined.body) == (204, b"")
    assert (again.status, again.body) == (200, b"abc")
    assert browser.cookies == {"csrftoken": "abc", "wl_attendee_1": "7:sig"}
    assert server.connections == 1
    heads = [request for _, request in server.requests]
    assert b"Cookie" not in heads[0]
    assert b"Content-Length: 0\r\n" in heads[1] and b"X-CSRFToken: t\r\n" in heads[1]
    assert b"Cookie: csrftoken=abc; wl_attendee_1=7:sig\r\n" in heads[2]
    assert heads[2].startswith(b"GET /j/PCN25/ HTTP/1.1\r\nHost: 127.0.0.1:")
    browser.close()


async def test_a_redirect_is_followed_and_a_gzipped_page_is_decompressed(serve):
    page = gzip.compress(b"<html>page</html>")
    server, port = await serve(
        [
            b"HTTP/1.1 302 Found\r\nLocation: /j/PCN25/\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"Content-Encoding: gzip\r\nContent-Length: " + str(len(page)).encode() + b"\r\n\r\n"
            + page,
        ]
    )  # fmt: skip
    browser = Browser("127.0.0.1", port, timeout=5)

    response = await browser.get("/j/pcn25/")

    assert (response.status, response.text, response.url) == (200, "<html>page</html>", "/j/PCN25/")
    assert [r.split(b"\r\n")[0] for _, r in server.requests] == [
        b"GET /j/pcn25/ HTTP/1.1",
        b"GET /j/PCN25/ HTTP/1.1",
    ]
    browser.close()


async def test_a_connection_closed_while_idle_is_reopened_and_the_request_sent_again(serve):
    server, port = await serve(
        [
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            None,  # the server drops the kept-alive connection instead of answering
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain",
        ]
    )
    browser = Browser("127.0.0.1", port, timeout=5)

    assert (await browser.get("/")).body == b"ok"
    assert (await browser.get("/again")).body == b"again"
    assert (server.connections, browser.connections_opened) == (2, 2)
    browser.close()


async def test_a_body_up_to_the_close_and_connection_close_end_the_connection(serve):
    server, port = await serve([b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nto the end"])
    browser = Browser("127.0.0.1", port, timeout=5)

    assert (await browser.get("/")).body == b"to the end"
    server.answers = [b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext"]
    assert (await browser.get("/")).body == b"next"
    assert browser.connections_opened == 2
    browser.close()


async def test_each_phone_connects_from_its_own_loopback_address(serve):
    server, port = await serve([b"HTTP/1.1 204 No Content\r\n\r\n"] * 2)
    first, second = (
        Browser("127.0.0.1", port, source=source_address(i), timeout=5) for i in (0, 251)
    )

    await first.get("/")
    await second.get("/")

    assert [peer for peer, _ in server.requests] == ["127.1.1.1", "127.1.2.2"]
    assert source_address(3, per_address=2) == source_address(2, per_address=2) == "127.1.1.2"
    first.close()
    second.close()
