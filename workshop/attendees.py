"""Attendees are anonymous: a signed cookie per workshop holds the attendee's id.

The same signer reads the cookie for pages (request.COOKIES) and sockets (scope["cookies"]).
"""

from django.core import signing

SALT = "workshop-live.attendee"
MAX_AGE = 60 * 60 * 24 * 30  # a month: long enough for a conference and its follow-up


def cookie_name(workshop_id: int) -> str:
    return f"wl_attendee_{workshop_id}"


def _signer(workshop_id: int) -> signing.Signer:
    return signing.get_cookie_signer(salt=cookie_name(workshop_id) + SALT)


def attendee_id_from_cookies(cookies: dict, *, workshop_id: int) -> int | None:
    value = cookies.get(cookie_name(workshop_id))
    if not value:
        return None
    try:
        return int(_signer(workshop_id).unsign(value, max_age=MAX_AGE))
    except (signing.BadSignature, ValueError):
        return None


def attendee_cookie_value(*, workshop_id: int, attendee_id: int) -> str:
    return _signer(workshop_id).sign(str(attendee_id))
