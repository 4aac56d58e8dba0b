"""Static files answered on the event loop, ahead of Django.

A phone's first visit fetches four static files besides its page. Through Django, each
took a request thread, the middleware chain and WhiteNoise's response wrapping: more server
CPU than the page itself (docs/performance.md, "Doors open"). This ASGI layer answers the
same files with WhiteNoise's own index and responses (compressed variants by
Accept-Encoding, ETag and Last-Modified with 304s, long cache lifetimes for hashed names),
with the file's bytes kept in memory, and adds the headers the middleware above WhiteNoise
in settings.MIDDLEWARE adds to them (nosniff, referrer and opener policies, Permissions-
Policy), computed once by running that middleware.

Anything else goes to Django unchanged: other paths, methods other than GET and HEAD, range
requests, HTTPS (HSTS is added per request there), and WhiteNoise's autorefresh (DEBUG),
where files may change under it. scripts/serve.py puts nginx in front, which serves
/static/ itself.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from whitenoise.middleware import WhiteNoiseMiddleware

WHITENOISE = "whitenoise.middleware.WhiteNoiseMiddleware"


def middleware_headers() -> list[tuple[bytes, bytes]]:
    """The headers the middleware listed above WhiteNoise adds to a static file's response
    (plain HTTP: the only case served here)."""
    outer = settings.MIDDLEWARE[: settings.MIDDLEWARE.index(WHITENOISE)]
    handler = lambda request: HttpResponse(content_type="application/octet-stream")  # noqa: E731
    for path in reversed(outer):
        handler = import_string(path)(handler)
    request = HttpRequest()
    request.method = "GET"
    response = handler(request)
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in response.headers.items()
        if name.lower() != "content-type"
    ]


class StaticFiles:
    def __init__(self, app):
        self.app = app
        self.whitenoise = WhiteNoiseMiddleware(get_response=lambda request: None)
        self.enabled = (
            WHITENOISE in settings.MIDDLEWARE
            and not self.whitenoise.autorefresh
            and not settings.SECURE_SSL_REDIRECT
        )
        self.headers = middleware_headers() if self.enabled else []
        self._bodies: dict[str, bytes] = {}

    async def __call__(self, scope, receive, send):
        if (
            self.enabled
            and scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and scope.get("scheme", "http") == "http"
            and (static_file := self.whitenoise.files.get(scope["path"])) is not None
        ):
            meta = {
                "HTTP_" + name.decode("latin-1").upper().replace("-", "_"): value.decode("latin-1")
                for name, value in scope["headers"]
            }
            if "HTTP_RANGE" not in meta:
                await self.serve(static_file, scope["method"], meta, send)
                return
        await self.app(scope, receive, send)

    def body(self, file) -> bytes:
        """The file's bytes, read once: collected files do not change while the app runs."""
        with file:
            found = self._bodies.get(file.name)
            if found is None:
                found = self._bodies[file.name] = file.read()
        return found

    async def serve(self, static_file, method: str, meta: dict, send) -> None:
        response = static_file.get_response(method, meta)
        body = self.body(response.file) if response.file is not None else b""
        headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in response.headers
        ]
        await send(
            {
                "type": "http.response.start",
                "status": int(response.status),
                "headers": headers + self.headers,
            }
        )
        await send({"type": "http.response.body", "body": body})
