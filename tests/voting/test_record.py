"""The vote record: aliases, the frozen ballot list and its digest, the audit trail, and
the check docs/vote-record.md tells an outsider to run."""

import hashlib
import json
import re
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import make_attendee, make_voting_workshop
from voting.models import Ballot, BallotChange, Poll, PollEvent
from voting.record import poll_record, record_digest
from voting.services import (
    BallotRequest,
    ballot_cast,
    ballots_cast,
    poll_close,
    poll_decide,
    poll_open,
    poll_reveal,
    poll_runoff_start,
    poll_show_bars,
)
from workshop import exports
from workshop.services import attendees_purge

DOC = Path(__file__).resolve().parents[2] / "docs" / "vote-record.md"


@pytest.fixture
def workshop(db):
    return make_voting_workshop()


def _themes(poll):
    return list(poll.options.order_by("position"))


def _run_the_docs_check(export: dict) -> str:
    """Runs the Python block of docs/vote-record.md, exactly as written, on `export`;
    returns what it printed."""
    (block,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    printed = []
    exec(block, {"export": export, "print": lambda *a: printed.append(" ".join(map(str, a)))})
    return "\n".join(printed)


def test_each_voter_gets_a_random_alias_kept_when_the_vote_changes(workshop):
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    voters = [make_attendee(workshop=workshop) for _ in range(2)]
    for voter in voters:
        ballot_cast(poll_id=poll.pk, attendee_id=voter.pk, theme_id=a.pk, key="k1")
    first = dict(Ballot.objects.values_list("attendee_id", "alias"))
    ballot_cast(poll_id=poll.pk, attendee_id=voters[0].pk, theme_id=b.pk, key="k2")

    assert dict(Ballot.objects.values_list("attendee_id", "alias")) == first
    assert all(re.fullmatch(r"[0-9a-f]{16}", alias) for alias in first.values())
    assert len(set(first.values())) == 2


def test_every_ballot_change_is_kept_by_alias_and_a_resend_is_not_a_change(workshop):
    poll = poll_open(workshop=workshop)
    a, b, c = _themes(poll)
    voter = make_attendee(workshop=workshop)
    for theme, key in [(a, "k1"), (a, "k1"), (b, "k2"), (b, "k3"), (c, "k4")]:
        ballot_cast(poll_id=poll.pk, attendee_id=voter.pk, theme_id=theme.pk, key=key)

    alias = Ballot.objects.get().alias
    changes = list(BallotChange.objects.values_list("alias", "from_theme_id", "to_theme_id"))
    assert changes == [(alias, None, a.pk), (alias, a.pk, b.pk), (alias, b.pk, c.pk)]


def test_a_batch_records_first_ballots_and_changes_in_the_trail(workshop):
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    voters = [make_attendee(workshop=workshop) for _ in range(3)]
    ballots_cast(
        requests=[BallotRequest(poll_id=poll.pk, attendee_id=v.pk, theme_id=a.pk) for v in voters]
    )
    ballots_cast(
        requests=[
            BallotRequest(poll_id=poll.pk, attendee_id=voters[0].pk, theme_id=b.pk),
            BallotRequest(poll_id=poll.pk, attendee_id=voters[1].pk, theme_id=a.pk),
        ]
    )

    firsts = BallotChange.objects.filter(from_theme=None)
    assert sorted(firsts.values_list("alias", flat=True)) == sorted(
        Ballot.objects.values_list("alias", flat=True)
    )
    (change,) = BallotChange.objects.exclude(from_theme=None)
    assert (change.alias, change.from_theme_id, change.to_theme_id) == (
        Ballot.objects.get(attendee=voters[0]).alias,
        a.pk,
        b.pk,
    )


def test_closing_freezes_the_record_and_its_digest(workshop):
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    voters = [make_attendee(workshop=workshop) for _ in range(3)]
    for voter, theme in zip(voters, [a, b, b], strict=True):
        ballot_cast(poll_id=poll.pk, attendee_id=voter.pk, theme_id=theme.pk)
    live = poll_record(poll)
    poll = poll_close(poll=poll, phones=5)

    stored = Poll.objects.get(pk=poll.pk)
    assert stored.phones_at_close == 5
    assert stored.record == live
    assert [e["theme"] for e in stored.record].count(b.title) == 2
    assert stored.record_digest == record_digest(live)
    assert re.fullmatch(r"[0-9a-f]{64}", stored.record_digest)
    assert set(stored.record[0]) == {"alias", "theme", "at"}
    assert stored.record == sorted(stored.record, key=lambda e: (e["at"], e["alias"], e["theme"]))
    # A later change of the world (a renamed theme) leaves the frozen record as it was.
    a.title = "Renamed"
    a.save()
    assert poll_record(Poll.objects.get(pk=poll.pk)) == live


def test_the_digest_is_the_sha256_of_the_documented_serialisation():
    entries = [{"theme": "Café", "at": "2026-12-05T10:00:00.000000Z", "alias": "00ff"}]
    # Keys sorted, no spaces, UTF-8 unescaped.
    data = '[{"alias":"00ff","at":"2026-12-05T10:00:00.000000Z","theme":"Café"}]'
    assert record_digest(entries) == hashlib.sha256(data.encode("utf-8")).hexdigest()


def test_every_state_change_of_a_vote_is_in_its_audit_trail_with_who_did_it(workshop):
    poll = poll_open(workshop=workshop, tie_rule="runoff", actor="fac")
    a, b, _ = _themes(poll)
    poll_show_bars(poll=poll, show=True, actor="fac")
    poll_show_bars(poll=poll, show=False, actor="fac")
    for theme in (a, b):
        ballot_cast(
            poll_id=poll.pk, attendee_id=make_attendee(workshop=workshop).pk, theme_id=theme.pk
        )
    poll_close(poll=poll, actor="fac")
    poll_reveal(poll=poll, actor="fac")
    runoff = poll_runoff_start(poll=poll, actor="fac")
    ballot_cast(poll_id=runoff.pk, attendee_id=make_attendee(workshop=workshop).pk, theme_id=b.pk)
    poll_close(poll=runoff)
    poll_decide(poll=runoff, actor="chair")

    trail = list(PollEvent.objects.filter(poll=poll).values_list("what", "actor"))
    assert trail == [
        ("opened", "fac"), ("bars_shown", "fac"), ("bars_hidden", "fac"), ("closed", "fac"),
        ("revealed", "fac"), ("runoff_started", "fac"), ("decided", "chair"),
    ]  # fmt: skip
    runoff_trail = list(PollEvent.objects.filter(poll=runoff).values_list("what", "actor"))
    assert runoff_trail == [("opened", "fac"), ("closed", "system"), ("decided", "chair")]
    closed = PollEvent.objects.get(poll=poll, what="closed")
    assert closed.detail == {
        "ballots": 2,
        "record_digest": Poll.objects.get(pk=poll.pk).record_digest,
        "phones": None,  # closed without the console's socket: no count of phones connected
    }
    assert PollEvent.objects.get(poll=poll, what="decided").detail == {
        "theme": b.title,
        "decided_by": "runoff",
    }
    # A run-off has its own record and digest, under new aliases.
    runoff = Poll.objects.get(pk=runoff.pk)
    assert (
        runoff.record_digest and runoff.record_digest != Poll.objects.get(pk=poll.pk).record_digest
    )
    assert not {e["alias"] for e in runoff.record} & {
        e["alias"] for e in Poll.objects.get(pk=poll.pk).record
    }


def test_the_audit_trail_is_append_only(workshop):
    poll = poll_open(workshop=workshop)
    a = _themes(poll)[0]
    ballot_cast(poll_id=poll.pk, attendee_id=make_attendee(workshop=workshop).pk, theme_id=a.pk)
    event, change = PollEvent.objects.get(), BallotChange.objects.get()

    for row in (event, change):
        with pytest.raises(ValueError, match="append-only"):
            row.save()
        with pytest.raises(ValueError, match="append-only"):
            row.delete()
    assert (PollEvent.objects.count(), BallotChange.objects.count()) == (1, 1)


def test_the_docs_check_recomputes_counts_and_digest_from_the_json_export(workshop):
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    for theme in (a, b, b):
        ballot_cast(
            poll_id=poll.pk, attendee_id=make_attendee(workshop=workshop).pk, theme_id=theme.pk
        )
    poll_close(poll=poll)

    export = json.loads(exports.export_json(workshop, "votes"))
    printed = _run_the_docs_check(export)

    poll = Poll.objects.get(pk=poll.pk)
    assert printed == f"{poll.pk} {{'{a.title}': 1, '{b.title}': 2}} {poll.record_digest}"


def test_the_docs_check_fails_on_a_tampered_export(workshop):
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    for theme in (a, b):
        ballot_cast(
            poll_id=poll.pk, attendee_id=make_attendee(workshop=workshop).pk, theme_id=theme.pk
        )
    poll_close(poll=poll)
    export = json.loads(exports.export_json(workshop, "votes"))
    export["votes"][0]["ballots"][0]["theme"] = b.title
    export["votes"][0]["counts"] = [{"theme": b.title, "ballots": 2}]

    with pytest.raises(AssertionError):
        _run_the_docs_check(export)


def test_the_record_survives_the_attendee_purge_and_still_recomputes(workshop):
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    for theme in (a, a, b):
        ballot_cast(
            poll_id=poll.pk, attendee_id=make_attendee(workshop=workshop).pk, theme_id=theme.pk
        )
    poll = poll_close(poll=poll)
    before = json.loads(exports.export_json(workshop, "votes"))["votes"]
    changes = list(BallotChange.objects.values_list("alias", "to_theme_id"))

    assert attendees_purge(joined_before=timezone.now()).removed == 3

    after = json.loads(exports.export_json(workshop, "votes"))["votes"]
    assert after == before
    assert Ballot.objects.filter(attendee=None).count() == 3
    assert sorted(Ballot.objects.values_list("alias", flat=True)) == sorted(
        e["alias"] for e in after[0]["ballots"]
    )
    assert list(BallotChange.objects.values_list("alias", "to_theme_id")) == changes
    assert PollEvent.objects.filter(poll=poll).count() == 2
    printed = _run_the_docs_check({"votes": after})
    assert printed.endswith(poll.record_digest)
    assert {c["theme"]: c["ballots"] for c in after[0]["counts"]}[a.title] == 2


def test_the_time_of_a_choice_is_kept_when_the_same_theme_is_sent_again(workshop):
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    voter = make_attendee(workshop=workshop)
    ballot_cast(poll_id=poll.pk, attendee_id=voter.pk, theme_id=a.pk, key="k1")
    chosen = Ballot.objects.get().changed_at
    ballot_cast(poll_id=poll.pk, attendee_id=voter.pk, theme_id=a.pk, key="k2")
    assert Ballot.objects.get().changed_at == chosen
    ballot_cast(poll_id=poll.pk, attendee_id=voter.pk, theme_id=b.pk, key="k3")
    changed = Ballot.objects.get().changed_at

    assert changed > chosen
    assert poll_record(poll)[0]["at"] == changed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert BallotChange.objects.last().at == changed
