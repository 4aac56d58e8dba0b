"""A lean HTTP/1.1 client for the benchmark's simulated browsers (what ws.py is for sockets).

A phone arriving at the workshop loads a page, its static files and posts its join; a
thousand of them share the machine with the server they measure, so the client does the
minimum on raw asyncio streams: one keep-alive connection per browser (reopened when the
server has closed it), bodies by Content-Length, chunked or up to the close, the cookies of
Set-Cookie kept by name and sent back, redirects followed on GET. Each browser may bind its
connections to a source address of its own (`source`), so the server sees separate devices.
It is not a general client: no TLS, no proxies, cookies without paths or expiry, no
pipelining; a page body sent gzip-compressed is decompressed, other encodings are kept as
they came (static files are not parsed).
"""

import asyncio
import gzip
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

MAX_HEAD = 64 * 1024
MAX_REDIRECTS = 5


class HttpError(Exception):
    """The response could not be read (closed early, malformed)."""


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]  # names in lower case, in the order received
    body: bytes
    url: str = ""

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Browser:
    """One browser: a host and port, a source address, a cookie jar, one keep-alive
    connection. Headers sent on every request: Host (127.0.0.1:<port>, whatever the source)
    and the cookies."""

    host: str
    port: int
    source: str | None = None
    timeout: float = 30.0
    cookies: dict[str, str] = field(default_factory=dict)
    connections_opened: int = 0
    _reader: asyncio.StreamReader | None = field(default=None, repr=False)
    _writer: asyncio.StreamWriter | None = field(default=None, repr=False)

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    async def get(self, path: str, headers: list[tuple[str, str]] = ()) -> Response:
        """GET, following redirects on the same host."""
        response = await self.request("GET", path, headers)
        for _ in range(MAX_REDIRECTS):
            if response.status not in (301, 302, 303, 307, 308):
                return response
            target = urlsplit(urljoin(self.origin + path, response.header("location") or ""))
            path = target.path + (f"?{target.query}" if target.query else "")
            response = await self.request("GET", path, headers)
        return response

    async def request(
        self, method: str, path: str, headers: list[tuple[str, str]] = (), body: bytes = b""
    ) -> Response:
        """One request on the keep-alive connection. A connection the server closed while it
        was idle is found out when the answer is missing; the request is then sent once more
        on a fresh one (as browsers do for a request that got no byte back)."""
        async with asyncio.timeout(self.timeout):
            reused = self._writer is not None
            try:
                return await self._exchange(method, path, headers, body)
            except (ConnectionError, asyncio.IncompleteReadError, HttpError) as error:
                self.close()
                if not reused or (isinstance(error, HttpError) and "no answer" not in str(error)):
                    raise
            return await self._exchange(method, path, headers, body)

    async def _exchange(self, method, path, headers, body) -> Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(
                self.host, self.port, local_addr=(self.source, 0) if self.source else None
            )
            self.connections_opened += 1
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if self.cookies:
            lines.append(f"Cookie: {self.cookie_header()}")
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        response = await read_response(self._reader, method)
        response.url = path
        for name, value in response.headers:
            if name == "set-cookie":
                self.keep_cookie(value)
        if (response.header("connection") or "").lower() == "close":
            self.close()
        return response

    def keep_cookie(self, set_cookie: str) -> None:
        pair, _, attributes = set_cookie.partition(";")
        name, _, value = pair.strip().partition("=")
        expired = "max-age=0" in attributes.lower().replace(" ", "")
        if expired:
            self.cookies.pop(name, None)
        elif name:
            self.cookies[name] = value.strip().strip('"')

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def read_response(reader: asyncio.StreamReader, method: str = "GET") -> Response:
    """Status line, headers, and the body by Content-Length, chunked, or up to the close."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        raise HttpError("no answer" if not error.partial else "closed in the head") from None
    except asyncio.LimitOverrunError:
        raise HttpError("head too long") from None
    if len(head) > MAX_HEAD:
        raise HttpError("head too long")
    status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise HttpError(f"bad status line: {status_line[:80]!r}")
    status = int(parts[1])
    headers = []
    for line in header_lines:
        name, sep, value = line.partition(":")
        if sep:
            headers.append((name.strip().lower(), value.strip()))
    found = dict(headers)
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        body = b""
    elif "chunked" in found.get("transfer-encoding", "").lower():
        body = await _chunked(reader)
    elif "content-length" in found:
        body = await reader.readexactly(int(found["content-length"]))
    else:
        body = await reader.read()  # up to the close
    if found.get("content-encoding", "").lower() == "gzip" and (
        "text/html" in found.get("content-type", "")
    ):
        body = gzip.decompress(body)
    return Response(status, headers, body)


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass  # trailers
            return bytes(body)
        body += await reader.readexactly(size)
        if await reader.readexactly(2) != b"\r\n":
            raise HttpError("chunk without its CRLF")
