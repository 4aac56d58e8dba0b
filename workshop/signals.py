"""Signal receivers, connected in WorkshopConfig.ready."""

from django.db import transaction


def console_sockets_close_on_logout(sender, request, user, **kwargs) -> None:
    """Logging out ends the login's console sockets too, not only its HTTP session."""
    from workshop.live import broadcast

    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        transaction.on_commit(lambda: broadcast.login_ended(session_key=session_key))
