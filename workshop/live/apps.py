from django.apps import AppConfig


class LiveConfig(AppConfig):
    """The real-time layer: consumers, pushes and their scheduling. Subscribes to the
    domain's events (workshop/events.py); nothing in the domain imports this package."""

    name = "workshop.live"
    label = "live"
    verbose_name = "Live layer"

    def ready(self):
        from workshop import events
        from workshop.live import broadcast

        events.subscribe(broadcast.on_event)
