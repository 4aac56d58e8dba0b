"""A bare ASGI app for tests/live/test_socket_memory.py, served by a real daphne with the
socket-memory patch (WORKSHOP_TUNE_SOCKET_MEMORY=0 in its environment leaves it out). Each
WebSocket frame is answered with its text and the number of daphne's HTTP requests still
alive in the process; a plain HTTP request is answered with "ok"."""

import gc
import os

from daphne.http_protocol import WebRequest

from workshop.live.tuning import socket_memory

if os.environ.get("WORKSHOP_TUNE_SOCKET_MEMORY", "1") != "0":
    socket_memory.install()


async def application(scope, receive, send):
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while (message := await receive())["type"] == "websocket.receive":
            gc.collect()
            alive = sum(type(o) is WebRequest for o in gc.get_objects())
            await send({"type": "websocket.send", "text": f"{message['text']} {alive}"})
    elif scope["type"] == "http":
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
