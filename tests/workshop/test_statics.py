"""Static files answered ahead of Django (workshop/statics.py) get the same answer Django's
middleware chain with WhiteNoise gives, headers and bytes; whatever it does not answer goes
to Django unchanged."""

import gzip

import pytest
from asgiref.testing import ApplicationCommunicator

from workshop.handler import PooledASGIHandler
from workshop.statics import StaticFiles

# Django answers a file through a synchronous iterator under ASGI, and warns that it does.
pytestmark = pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume")

SCRIPT = b"document.title = 'x';\n" * 200


@pytest.fixture
def apps(settings, tmp_path):
    """The static layer and the Django handler behind it, over a small collected tree."""
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "app.0123456789ab.js").write_bytes(SCRIPT)
    (tmp_path / "js" / "app.0123456789ab.js.gz").write_bytes(gzip.compress(SCRIPT))
    settings.STATIC_ROOT = tmp_path
    settings.WHITENOISE_AUTOREFRESH = False
    django_app = PooledASGIHandler(threads=2)
    return StaticFiles(django_app), django_app


async def fetch(app, path, method="GET", headers=()):
    scope = {
        "type": "http", "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), *headers], "server": ("testserver", 80),
        "client": ("192.0.2.1", 40000),
    }  # fmt: skip
    communicator = ApplicationCommunicator(app, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(5)
    body = b""
    while True:
        message = await communicator.receive_output(5)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await communicator.wait(5)
    return start["status"], {k.lower(): v for k, v in start["headers"]}, body


def comparable(headers: dict) -> dict:
    return {k: v for k, v in headers.items() if k != b"date"}


CASES = [
    ("GET", ()),
    ("HEAD", ()),
    ("GET", [(b"accept-encoding", b"gzip, deflate")]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "headers"), CASES)
async def test_a_static_file_gets_the_answer_django_gives(apps, method, headers):
    static_app, django_app = apps
    path = "/static/js/app.0123456789ab.js"
    ours = await fetch(static_app, path, method, headers)
    djangos = await fetch(django_app, path, method, headers)
    assert ours[0] == djangos[0] == 200
    assert comparable(ours[1]) == comparable(djangos[1])
    assert ours[2] == djangos[2]
    assert ours[1][b"x-content-type-options"] == b"nosniff"
    if headers:
        assert gzip.decompress(ours[2]) == SCRIPT


@pytest.mark.django_db
async def test_a_cached_copy_is_answered_not_modified(apps):
    static_app, _ = apps
    path = "/static/js/app.0123456789ab.js"
    _, headers, _ = await fetch(static_app, path)
    status, _, body = await fetch(static_app, path, headers=[(b"if-none-match", headers[b"etag"])])
    assert (status, body) == (304, b"")


@pytest.mark.django_db
async def test_ranges_and_other_paths_go_to_django(apps):
    static_app, _ = apps
    status, _, body = await fetch(
        static_app, "/static/js/app.0123456789ab.js", headers=[(b"range", b"bytes=0-9")]
    )
    assert (status, body) == (206, SCRIPT[:10])
    status, _, _ = await fetch(static_app, "/static/js/missing.js")
    assert status == 404  # Django's answer, through its middleware
    status, _, body = await fetch(static_app, "/")
    assert status == 200 and b"join" in body.lower()
