from django.urls import path

from workshop.live.consumers import ConsoleConsumer, PhoneConsumer, ScreenConsumer

websocket_urlpatterns = [
    path("ws/j/<str:code>/", PhoneConsumer.as_asgi()),
    path("ws/s/<str:code>/screen/<str:secret>/", ScreenConsumer.as_asgi()),
    path("ws/s/<str:code>/console/", ConsoleConsumer.as_asgi()),
]
