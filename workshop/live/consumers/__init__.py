"""One WebSocket per client, a consumer per surface (phone.py, screen.py, console.py, on
base.py). Consumers are thin: resolve the workshop and the role, join the surface's group,
send the current state at once (so a phone that slept is right as soon as it wakes), route
each frame to an action (workshop/actions/), and forward HTML rendered once per surface."""

from workshop.live.consumers.console import ConsoleConsumer
from workshop.live.consumers.phone import PhoneConsumer
from workshop.live.consumers.screen import ScreenConsumer

__all__ = ["ConsoleConsumer", "PhoneConsumer", "ScreenConsumer"]
