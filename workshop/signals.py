"""Signal receivers, connected in WorkshopConfig.ready."""

from workshop.events import LoginEnded, emit_on_commit


def console_sockets_close_on_logout(sender, request, user, **kwargs) -> None:
    """Logging out ends the login's console sockets too, not only its HTTP session."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        emit_on_commit(LoginEnded(session_key=session_key))
