import os
import sys

import django
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")
django.setup(set_prefix=False)  # what django.core.asgi.get_asgi_application does first

from django.conf import settings  # noqa: E402

from workshop.handler import PooledASGIHandler  # noqa: E402
from workshop.statics import StaticFiles  # noqa: E402

# Pages run on a fixed pool of long-lived threads, not a new thread each (workshop/handler.py).
django_asgi_app = (
    PooledASGIHandler(threads=settings.REQUEST_THREADS)
    if settings.TUNE_REQUEST_THREADS
    else ASGIHandler()
)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from workshop import redact  # noqa: E402
from workshop.live import shutdown, tuning  # noqa: E402
from workshop.live.balance import balance_workers  # noqa: E402
from workshop.live.origin import SameOriginValidator  # noqa: E402
from workshop.render import templates_compile  # noqa: E402
from workshop.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Static files first, on the event loop; pages through Django (workshop/statics.py).
        "http": StaticFiles(django_asgi_app) if settings.TUNE_STATIC else django_asgi_app,
        "websocket": SameOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)

templates_compile()

# Before daphne's command line builds its access log, which it does after loading this module.
redact.install()

# Under daphne, each worker starts evening out phones with the others (when that is on) as
# soon as it runs, not at its first socket: a restarted worker has none until the others
# send it some (workshop/live/balance.py). daphne.server holds the loop it is about to run.
if (daphne_server := sys.modules.get("daphne.server")) is not None:
    daphne_server.twisted_loop.call_soon(balance_workers)

# A daphne worker exits within seconds of SIGTERM even when a push was cut off mid-way
# (workshop/live/shutdown.py). Only in the server: a test run keeps its own exit code.
if "daphne" in os.path.basename(sys.argv[0]) or sys.argv[0].endswith(
    os.path.join("daphne", "__main__.py")
):
    shutdown.install()

# Last: the garbage collector's tuning freezes what has been loaded so far.
tuning.install()
