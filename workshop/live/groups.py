from enum import StrEnum


class Surface(StrEnum):
    """The three surfaces. Also names the template folder and the group suffix."""

    PHONE = "phone"
    SCREEN = "screen"
    CONSOLE = "console"


def group_name(*, workshop_id: int, surface: Surface) -> str:
    """`session-<id>.<surface>`: ASCII and far under Channels' 100-character limit."""
    return f"session-{int(workshop_id)}.{Surface(surface).value}"
