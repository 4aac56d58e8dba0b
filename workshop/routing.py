from channels.auth import AuthMiddlewareStack
from channels.sessions import CookieMiddleware
from django.urls import path

from workshop.live.consumers import ConsoleConsumer, PhoneConsumer, ScreenConsumer

# Each surface gets only the middleware it needs. Phones are anonymous (a signed cookie, no
# session), the projector is admitted by the secret in its address, and only the console
# needs the session and the logged-in user. Middleware wraps every message a socket sends, so
# this is cheaper in a vote burst as well as tidier.
websocket_urlpatterns = [
    path("ws/j/<str:code>/", CookieMiddleware(PhoneConsumer.as_asgi())),
    path("ws/s/<str:code>/screen/<str:secret>/", ScreenConsumer.as_asgi()),
    path("ws/s/<str:code>/console/", AuthMiddlewareStack(ConsoleConsumer.as_asgi())),
]
