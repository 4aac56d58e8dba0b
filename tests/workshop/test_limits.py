"""One person, one vote: what one client address can add to a vote (docs/security.md)."""

import math
import time

import pytest
from django.test import Client, override_settings

from tests.factories import make_voting_workshop
from voting.models import Ballot
from voting.selectors import poll_tally
from voting.services import BallotRequest, ballots_cast, poll_open
from workshop import limits
from workshop.services import JoinThrottled, attendee_join

pytestmark = pytest.mark.security

JOINS = limits.Limit.parse("joins_per_address", "200/20")


def test_joins_from_one_address_stop_at_the_limit_and_resume_next_window(db):
    workshop = make_voting_workshop()
    t = 1_000_000.0  # the start of a 20 s window
    for _ in range(JOINS.count):
        attendee_join(workshop=workshop, address="203.0.113.7", now=t)
    with pytest.raises(JoinThrottled) as refused:
        attendee_join(workshop=workshop, address="203.0.113.7", now=t + 5)
    assert refused.value.wait == 15
    assert "Many phones are joining from your network" in refused.value.messages[0]
    # Another address, and the same address in the next window, still join.
    attendee_join(workshop=workshop, address="198.51.100.1", now=t + 5)
    attendee_join(workshop=workshop, address="203.0.113.7", now=t + 20)
    assert workshop.attendees.count() == JOINS.count + 2


def test_an_ipv6_network_counts_as_one_address(db):
    workshop = make_voting_workshop()
    t = 1_000_000.0
    for i in range(JOINS.count):
        attendee_join(workshop=workshop, address=f"2001:db8:1:2::{i + 1:x}", now=t)
    with pytest.raises(JoinThrottled):
        attendee_join(workshop=workshop, address="2001:db8:1:2:ffff::1", now=t)
    attendee_join(workshop=workshop, address="2001:db8:1:3::1", now=t)


def _stuffing_loop(workshop, poll, theme, attempts: int) -> int:
    """The attack: a fresh cookieless client each time: load the phone page, join, vote.
    Returns how many ballots it got in."""
    before = Ballot.objects.filter(poll=poll).count()
    for _ in range(attempts):
        client = Client(REMOTE_ADDR="203.0.113.66")
        client.get(f"/j/{workshop.join_code}/")
        client.post(f"/j/{workshop.join_code}/join/")
        client.post(f"/j/{workshop.join_code}/vote/", {"poll": poll.pk, "theme": theme.pk})
    return Ballot.objects.filter(poll=poll).count() - before


@override_settings(
    WORKSHOP_LIMITS={**limits.settings.WORKSHOP_LIMITS, "joins_per_address": "25/3600"}
)
def test_vote_stuffing_from_one_address_gets_no_more_than_its_allowance(db):
    workshop = make_voting_workshop()
    poll = poll_open(workshop=workshop)
    theme = poll.options.first()
    window = limits.LIMITS["joins_per_address"].seconds
    first = math.floor(time.time() / window)

    got = _stuffing_loop(workshop, poll, theme, attempts=60)

    windows = math.floor(time.time() / window) - first + 1
    assert got == min(60, 25 * windows)
    assert poll_tally(poll_id=poll.pk).total == got
    # A refused join says why, with a 429 and when to try again.
    response = Client(REMOTE_ADDR="203.0.113.66").post(f"/j/{workshop.join_code}/join/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Many phones are joining from your network" in response.content.decode()


def test_vote_stuffing_after_a_joined_before_vote_opens_gets_nothing_in(db):
    workshop = make_voting_workshop()
    early = [attendee_join(workshop=workshop, address="192.0.2.1") for _ in range(3)]
    poll = poll_open(workshop=workshop, joined_before_only=True)
    theme = poll.options.first()

    assert _stuffing_loop(workshop, poll, theme, attempts=10) == 0

    results = ballots_cast(
        requests=[
            BallotRequest(poll_id=poll.pk, attendee_id=a.pk, theme_id=theme.pk) for a in early
        ]
    )
    assert [r.error for r in results] == [None, None, None]
    assert poll_tally(poll_id=poll.pk).total == 3


def test_a_thousand_phones_behind_one_address_all_join_and_vote(db):
    """A hall behind one NAT address, everyone scanning the QR code in the same second: the
    phones refused at first try again when told (live.js) and all get in within a few
    windows; then they all vote at once, from the same address."""
    workshop = make_voting_workshop()
    start = 1_000_000.0
    waiting = [(start, phone) for phone in range(1000)]  # (when it tries, which phone)
    joined = {}
    while waiting:
        waiting.sort()
        at, phone = waiting.pop(0)
        try:
            joined[phone] = attendee_join(workshop=workshop, address="192.0.2.200", now=at)
        except JoinThrottled as refused:
            waiting.append((at + refused.wait, phone))
    last_join = max(a.joined_at for a in joined.values())
    assert len(joined) == 1000

    poll = poll_open(workshop=workshop)
    themes = list(poll.options.all())
    now = start + 120
    requests = []
    for phone, attendee in joined.items():
        refusal = limits.action_refusal(
            action="vote",
            workshop_id=workshop.pk,
            attendee_id=attendee.pk,
            address="192.0.2.200",
            now=now + phone / 200,  # over 5 s
        )
        assert refusal is None
        theme = themes[phone % len(themes)]
        requests.append(BallotRequest(poll_id=poll.pk, attendee_id=attendee.pk, theme_id=theme.pk))
    results = ballots_cast(requests=requests)

    assert [r.error for r in results] == [None] * 1000
    assert poll_tally(poll_id=poll.pk).total == 1000
    assert last_join <= poll.opened_at


def test_last_phones_of_a_thousand_behind_one_address_wait_under_two_minutes(db):
    workshop = make_voting_workshop()
    start = 1_000_000.0
    waiting, latest = [(start, phone) for phone in range(1000)], start
    while waiting:
        waiting.sort()
        at, phone = waiting.pop(0)
        try:
            attendee_join(workshop=workshop, address="192.0.2.201", now=at)
            latest = max(latest, at)
        except JoinThrottled as refused:
            waiting.append((at + refused.wait, phone))
    assert latest - start == 80  # five windows of 200: the last starts 80 s in


def test_votes_per_attendee_are_limited_and_say_so():
    refusals = [
        limits.action_refusal(
            action="vote", workshop_id=1, attendee_id=7, address="192.0.2.9", now=1_000_000.0
        )
        for _ in range(11)
    ]
    assert refusals[:10] == [None] * 10
    assert refusals[10] == "You have sent a lot of votes just now. Please wait 10 seconds."


def test_questions_per_address_are_limited_whoever_sends_them():
    refusals = [
        limits.action_refusal(
            action="question_ask",
            workshop_id=1,
            attendee_id=n,
            address="192.0.2.10",
            now=1_020_000.0,
        )
        for n in range(101)
    ]
    assert refusals[:100] == [None] * 100
    assert refusals[100] == (
        "Many questions are arriving from your network at once. Please try again in 60 seconds."
    )
    assert (
        limits.action_refusal(
            action="question_ask",
            workshop_id=1,
            attendee_id=1,
            address="192.0.2.11",
            now=1_020_000.0,
        )
        is None
    )
