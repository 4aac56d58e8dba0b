"""The phone's home page, rendered once per live version and kept in memory.

When a hall scans the QR code together, every phone asks for the same page: the live card
and the workshop's description (Markdown) are the same for all of them at one live version.
Rendering it anew for each phone took most of a page's server CPU (docs/performance.md,
"Doors open"). Each rendered page is kept by (workshop, live version), in variants by
whether the phone has joined and the theme it chose; every change that shows on the page
moves the live version on (workshop.services, content_save for organisers' edits), so a
page is never served from an older version than the database's.

What differs per request is filled in on the way out: the CSRF token (rendered as a slot,
replaced by this request's masked token). A page with flash messages to show (a form posted
without JavaScript) is rendered whole, as it consumes them; so is every page with
WORKSHOP_TUNE_PAGE_CACHE=0.
"""

import secrets

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

from voting.selectors import ballot_choice
from workshop.models import Workshop
from workshop.render import VersionedCache, phone_html
from workshop.snapshot import LiveSnapshot, live_snapshot, live_version

HOME_TEMPLATE = "workshop/phone/home.html"
# Stands for the CSRF token in a kept page. Random per process: content cannot contain it.
CSRF_SLOT = f"csrfslot{secrets.token_hex(16)}"


class _Entry:
    """One live version of one workshop: its snapshot and the variants rendered so far."""

    __slots__ = ("pages", "snap")

    def __init__(self, snap: LiveSnapshot):
        self.snap = snap
        self.pages: dict[tuple[bool, int | None], str] = {}


home_pages = VersionedCache(size=16)


def home_context(*, workshop: Workshop, snap: LiveSnapshot, choice: int | None, csrf: str):
    return {
        "workshop": workshop,
        "tab": "home",
        "csrf_token": csrf,  # over the context processor's: the page's meta tag
        "live_html": phone_html(snap, choice=choice, csrf_token=csrf),
    }


def phone_home_response(request: HttpRequest, *, workshop: Workshop) -> HttpResponse:
    attendee_id = getattr(request, "attendee_id", None)
    if len(get_messages(request)) or not settings.TUNE_PAGE_CACHE:
        snap = live_snapshot(workshop=workshop)
        choice = ballot_choice(poll_id=snap.poll.pk, attendee_id=attendee_id) if snap.poll else None
        context = home_context(workshop=workshop, snap=snap, choice=choice, csrf=get_token(request))
        return HttpResponse(render_to_string(HOME_TEMPLATE, context, request=request))
    # The version is read before the snapshot: what is kept under it is never older than it.
    version = live_version(workshop_id=workshop.pk)
    entry = home_pages.get(workshop.pk, version)
    if entry is None:
        entry = _Entry(live_snapshot(workshop_id=workshop.pk))
        home_pages.put(workshop.pk, version, entry)
    snap = entry.snap
    choice = None
    if snap.poll and attendee_id:
        choice = ballot_choice(poll_id=snap.poll.pk, attendee_id=attendee_id)
    key = (bool(attendee_id), choice)
    page = entry.pages.get(key)
    if page is None:
        context = home_context(workshop=snap.workshop, snap=snap, choice=choice, csrf=CSRF_SLOT)
        page = entry.pages[key] = render_to_string(HOME_TEMPLATE, context, request=request)
    return HttpResponse(page.replace(CSRF_SLOT, get_token(request)))
