import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from tests.factories import make_attendee, make_voting_workshop, make_workshop
from tests.postgres import while_uncommitted
from voting.models import Ballot, Poll
from voting.selectors import poll_tally
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


@pytest.fixture
def workshop(db):
    return make_voting_workshop()


def _themes(poll):
    return list(poll.options.order_by("position"))


def _vote(poll, theme, n=1):
    for _ in range(n):
        ballot_cast(
            poll_id=poll.pk, attendee_id=make_attendee(workshop=poll.workshop).pk, theme_id=theme.pk
        )


# --- transitions ----------------------------------------------------------------------------


def test_poll_open_offers_every_theme_and_records_the_time(workshop):
    poll = poll_open(workshop=workshop, tie_rule="runoff", show_bars=True)

    assert (poll.state, poll.tie_rule, poll.show_bars) == ("open", "runoff", True)
    assert poll.opened_at is not None
    assert [t.title for t in _themes(poll)] == ["Theme 1", "Theme 2", "Theme 3"]


def test_poll_open_refuses_while_a_vote_is_open(workshop):
    poll_open(workshop=workshop)
    with pytest.raises(ValidationError, match="already open"):
        poll_open(workshop=workshop)
    assert Poll.objects.count() == 1


def test_poll_open_refuses_while_a_closed_vote_is_undecided(workshop):
    poll_close(poll=poll_open(workshop=workshop))
    with pytest.raises(ValidationError, match="Decide the closed vote"):
        poll_open(workshop=workshop)


def test_poll_open_refuses_fewer_than_two_themes(db):
    with pytest.raises(ValidationError, match="at least two themes"):
        poll_open(workshop=make_voting_workshop(themes=1))
    assert Poll.objects.count() == 0


def test_poll_open_refuses_an_unknown_tie_rule(workshop):
    with pytest.raises(ValidationError, match="tie"):
        poll_open(workshop=workshop, tie_rule="coin-toss")


def test_poll_open_after_a_decided_vote_starts_a_new_one(workshop):
    poll = poll_open(workshop=workshop)
    _vote(poll, _themes(poll)[0])
    poll_close(poll=poll)
    poll_decide(poll=poll)
    again = poll_open(workshop=workshop)
    assert again.pk != poll.pk and again.state == "open"


def test_poll_close_moves_open_to_closed_once(workshop):
    poll = poll_close(poll=poll_open(workshop=workshop))
    assert poll.state == "closed" and poll.closed_at is not None
    with pytest.raises(ValidationError, match="not open"):
        poll_close(poll=poll)


def test_poll_reveal_refuses_an_open_vote_and_a_second_reveal(workshop):
    poll = poll_open(workshop=workshop)
    with pytest.raises(ValidationError, match="Close the vote"):
        poll_reveal(poll=poll)
    poll_close(poll=poll)
    assert poll_reveal(poll=poll).revealed_at is not None
    with pytest.raises(ValidationError, match="already on show"):
        poll_reveal(poll=poll)


def test_poll_show_bars_only_while_open(workshop):
    poll = poll_open(workshop=workshop)
    assert poll_show_bars(poll=poll, show=True).show_bars is True
    poll_close(poll=poll)
    with pytest.raises(ValidationError, match="while the vote is open"):
        poll_show_bars(poll=poll, show=False)


def test_poll_decide_by_majority(workshop):
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    _vote(poll, a, 3)
    _vote(poll, b, 2)
    poll_close(poll=poll)

    poll = poll_decide(poll=poll)

    assert (poll.state, poll.decided_theme, poll.decided_by) == ("decided", a, "majority")
    assert poll.decided_at is not None and poll.revealed_at is not None


def test_poll_decide_refuses_an_open_vote_and_a_second_decision(workshop):
    poll = poll_open(workshop=workshop)
    _vote(poll, _themes(poll)[0])
    with pytest.raises(ValidationError, match="Close the vote"):
        poll_decide(poll=poll)
    poll_close(poll=poll)
    poll_decide(poll=poll)
    with pytest.raises(ValidationError, match="already been decided"):
        poll_decide(poll=poll)


def test_poll_decide_refuses_overruling_a_clear_winner(workshop):
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    _vote(poll, a, 2)
    _vote(poll, b, 1)
    poll_close(poll=poll)
    with pytest.raises(ValidationError, match="most votes"):
        poll_decide(poll=poll, theme_id=b.pk)
    assert Poll.objects.get(pk=poll.pk).state == "closed"


def test_tie_under_casting_rule_needs_a_choice_among_the_tied(workshop):
    poll = poll_open(workshop=workshop, tie_rule="casting")
    a, b, c = _themes(poll)
    _vote(poll, a, 2)
    _vote(poll, b, 2)
    _vote(poll, c, 1)
    poll_close(poll=poll)

    with pytest.raises(ValidationError, match="choose one of the tied"):
        poll_decide(poll=poll)
    with pytest.raises(ValidationError, match="Choose one of the tied"):
        poll_decide(poll=poll, theme_id=c.pk)
    poll = poll_decide(poll=poll, theme_id=b.pk)

    assert (poll.decided_theme, poll.decided_by) == (b, "casting")


def test_tie_under_runoff_rule_refuses_a_direct_decision(workshop):
    poll = poll_open(workshop=workshop, tie_rule="runoff")
    a, b, _ = _themes(poll)
    _vote(poll, a)
    _vote(poll, b)
    poll_close(poll=poll)
    with pytest.raises(ValidationError, match="start the run-off"):
        poll_decide(poll=poll, theme_id=a.pk)


def test_runoff_between_the_tied_themes_decides_the_original_vote(workshop):
    poll = poll_open(workshop=workshop, tie_rule="runoff")
    a, b, _ = _themes(poll)
    _vote(poll, a, 2)
    _vote(poll, b, 2)
    poll_close(poll=poll)

    runoff = poll_runoff_start(poll=poll)
    assert (runoff.state, runoff.runoff_of_id) == ("open", poll.pk)
    assert set(runoff.options.all()) == {a, b}
    with pytest.raises(ValidationError, match="already started"):
        poll_runoff_start(poll=poll)

    _vote(runoff, b, 3)
    _vote(runoff, a, 1)
    poll_close(poll=runoff)
    poll_decide(poll=runoff)

    poll.refresh_from_db()
    assert (poll.state, poll.decided_theme, poll.decided_by) == ("decided", b, "runoff")


def test_a_tied_runoff_is_settled_by_casting_choice(workshop):
    poll = poll_open(workshop=workshop, tie_rule="runoff")
    a, b, _ = _themes(poll)
    _vote(poll, a)
    _vote(poll, b)
    poll_close(poll=poll)
    runoff = poll_runoff_start(poll=poll)
    poll_close(poll=runoff)  # nobody voted in the run-off: a tie between both

    poll_decide(poll=runoff, theme_id=a.pk)

    poll.refresh_from_db()
    runoff.refresh_from_db()
    assert (runoff.decided_by, poll.decided_by, poll.decided_theme) == ("casting", "runoff", a)


def test_runoff_refused_without_a_tie_or_under_casting_rule(workshop):
    poll = poll_open(workshop=workshop, tie_rule="runoff")
    a, *_ = _themes(poll)
    _vote(poll, a)
    poll_close(poll=poll)
    with pytest.raises(ValidationError, match="not tied"):
        poll_runoff_start(poll=poll)

    other = poll_open(workshop=make_voting_workshop(), tie_rule="casting")
    poll_close(poll=other)
    with pytest.raises(ValidationError, match="not a run-off"):
        poll_runoff_start(poll=other)


# --- ballots --------------------------------------------------------------------------------


def test_ballot_cast_records_one_ballot_and_a_change_replaces_it(workshop):
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    attendee = make_attendee(workshop=workshop)

    ballot_cast(poll_id=poll.pk, attendee_id=attendee.pk, theme_id=a.pk)
    ballot_cast(poll_id=poll.pk, attendee_id=attendee.pk, theme_id=b.pk)

    ballot = Ballot.objects.get()
    assert (ballot.attendee, ballot.theme) == (attendee, b)
    assert ballot.changed_at >= ballot.cast_at
    assert poll_tally(poll_id=poll.pk).total == 1


def test_ballot_cast_refuses_a_closed_vote_and_changes_nothing(workshop):
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    attendee = make_attendee(workshop=workshop)
    ballot_cast(poll_id=poll.pk, attendee_id=attendee.pk, theme_id=a.pk)
    poll_close(poll=poll)

    with pytest.raises(ValidationError, match="Voting has closed"):
        ballot_cast(poll_id=poll.pk, attendee_id=attendee.pk, theme_id=b.pk)
    assert Ballot.objects.get().theme == a


def test_a_batch_caught_by_the_close_is_refused_and_stores_nothing(transactional_db):
    # The batch reads the vote as open, then the vote closes before its write commits.
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite takes its write lock at BEGIN, so a batch there "
                    "cannot read the vote as open while a close is being written")  # fmt: skip
    workshop = make_voting_workshop()
    poll = poll_open(workshop=workshop)
    theme = _themes(poll)[0]
    request = BallotRequest(poll.pk, make_attendee(workshop=workshop).pk, theme.pk, key="k1")

    # The close holds the poll's row lock until it commits.
    _, results, waiting = while_uncommitted(
        lambda: poll_close(poll=poll), lambda: ballots_cast(requests=[request])
    )

    # It had read the vote as open and written its ballot, and was waiting to bump the
    # vote's version (its last statement) when the close committed.
    assert waiting is not None and waiting.startswith("UPDATE voting_poll SET version")
    assert [r.error for r in results] == ["Voting has closed, so your vote was not counted."]
    assert not Ballot.objects.exists()
    assert Poll.objects.get().version == poll.version  # the batch did not bump it


def test_ballot_cast_refuses_a_theme_not_on_the_ballot(workshop):
    poll = poll_open(workshop=workshop)
    foreign = make_voting_workshop().themes.first()
    with pytest.raises(ValidationError, match="not on this ballot"):
        ballot_cast(
            poll_id=poll.pk, attendee_id=make_attendee(workshop=workshop).pk, theme_id=foreign.pk
        )
    assert Ballot.objects.count() == 0


def test_ballot_cast_refuses_an_attendee_of_another_workshop(workshop):
    poll = poll_open(workshop=workshop)
    stranger = make_attendee(workshop=make_workshop())
    with pytest.raises(ValidationError, match="Join this workshop"):
        ballot_cast(poll_id=poll.pk, attendee_id=stranger.pk, theme_id=_themes(poll)[0].pk)
    assert Ballot.objects.count() == 0


def test_ballot_cast_refuses_an_unknown_vote(workshop):
    with pytest.raises(ValidationError, match="does not exist"):
        ballot_cast(poll_id=999, attendee_id=make_attendee(workshop=workshop).pk, theme_id=1)


def test_ballots_cast_answers_each_request_and_the_last_choice_in_a_batch_wins(workshop):
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    one, two = make_attendee(workshop=workshop), make_attendee(workshop=workshop)
    stranger = make_attendee(workshop=make_workshop())

    results = ballots_cast(
        requests=[
            BallotRequest(poll_id=poll.pk, attendee_id=one.pk, theme_id=a.pk),
            BallotRequest(poll_id=poll.pk, attendee_id=stranger.pk, theme_id=a.pk),
            BallotRequest(poll_id=poll.pk, attendee_id=two.pk, theme_id=a.pk),
            BallotRequest(poll_id=poll.pk, attendee_id=one.pk, theme_id=b.pk),
        ]
    )

    assert [r.ok for r in results] == [True, False, True, True]
    assert dict(Ballot.objects.values_list("attendee_id", "theme_id")) == {
        one.pk: b.pk,
        two.pk: a.pk,
    }
    assert Poll.objects.get(pk=poll.pk).version == 1  # one batch, one version


def test_poll_tally_counts_per_option_with_percentages(workshop):
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    _vote(poll, a, 3)
    _vote(poll, b, 1)

    tally = poll_tally(poll_id=poll.pk)

    assert [(r.title, r.count, r.percent) for r in tally.rows] == [
        ("Theme 1", 3, 75),
        ("Theme 2", 1, 25),
        ("Theme 3", 0, 0),
    ]
    assert (tally.total, tally.leaders) == (4, [a.pk])


def test_poll_tally_query_count_is_fixed(workshop, django_assert_num_queries):
    poll = poll_open(workshop=workshop)
    for theme in _themes(poll):
        _vote(poll, theme, 2)
    with django_assert_num_queries(3):
        poll_tally(poll_id=poll.pk)


def test_one_ballot_per_attendee_is_enforced_by_the_database(workshop):
    from django.db import IntegrityError
    from django.utils import timezone

    poll = poll_open(workshop=workshop)
    attendee = make_attendee(workshop=workshop)
    a, b, _ = _themes(poll)
    now = timezone.now()
    Ballot.objects.create(poll=poll, attendee=attendee, theme=a, cast_at=now, changed_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(poll=poll, attendee=attendee, theme=b, cast_at=now, changed_at=now)


def test_a_resend_with_the_same_key_is_acknowledged_and_changes_nothing(workshop):
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    attendee = make_attendee(workshop=workshop)
    first = BallotRequest(poll_id=poll.pk, attendee_id=attendee.pk, theme_id=a.pk, key="tap-1")
    ballots_cast(requests=[first])
    version = Poll.objects.get(pk=poll.pk).version

    (again,) = ballots_cast(requests=[first])
    (change,) = ballots_cast(
        requests=[
            BallotRequest(poll_id=poll.pk, attendee_id=attendee.pk, theme_id=b.pk, key="tap-2")
        ]
    )
    (stale,) = ballots_cast(requests=[first])  # the old tap arriving late is a change back

    assert (again.ok, again.duplicate, change.duplicate, stale.duplicate) == (
        True,
        True,
        False,
        False,
    )
    assert Poll.objects.get(pk=poll.pk).version == version + 2
    assert Ballot.objects.get().key == "tap-1"


def test_a_resend_beside_new_votes_in_one_batch_writes_only_the_new_ones(workshop):
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    old, new = make_attendee(workshop=workshop), make_attendee(workshop=workshop)
    first = BallotRequest(poll_id=poll.pk, attendee_id=old.pk, theme_id=a.pk, key="tap-1")
    ballots_cast(requests=[first])
    stored = Ballot.objects.get()
    version = Poll.objects.get(pk=poll.pk).version

    resent, fresh = ballots_cast(
        requests=[
            first,
            BallotRequest(poll_id=poll.pk, attendee_id=new.pk, theme_id=b.pk, key="tap-2"),
        ]
    )

    assert (resent.ok, resent.duplicate, fresh.ok, fresh.duplicate) == (True, True, True, False)
    again = Ballot.objects.get(attendee=old)
    assert (again.theme_id, again.key, again.changed_at) == (a.pk, "tap-1", stored.changed_at)
    assert Ballot.objects.get(attendee=new).theme_id == b.pk
    assert Poll.objects.get(pk=poll.pk).version == version + 1


def test_a_change_without_a_key_is_written(workshop):
    # The HTTP form of a page without live.js may send no key: every such vote is a change.
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    attendee = make_attendee(workshop=workshop)
    for theme in (a, b, a):
        ballot_cast(poll_id=poll.pk, attendee_id=attendee.pk, theme_id=theme.pk)
    assert list(Ballot.objects.values_list("theme_id", "key")) == [(a.pk, "")]
    assert Poll.objects.get(pk=poll.pk).version == 3


@pytest.mark.parametrize("size", [1, 40])
def test_a_batch_costs_the_same_statements_whatever_its_size(
    workshop, size, django_assert_num_queries
):
    # Nothing in a batch is looked up per ballot, or by a scan that grows with the poll:
    # a resend is found by the upsert itself, through the unique index.
    poll = poll_open(workshop=workshop)
    a, b, _ = _themes(poll)
    voters = [make_attendee(workshop=workshop) for _ in range(size)]
    taps = [
        BallotRequest(poll_id=poll.pk, attendee_id=v.pk, theme_id=a.pk, key=f"t{v.pk}")
        for v in voters
    ]
    ballots_cast(requests=taps)
    changes = [
        BallotRequest(poll_id=poll.pk, attendee_id=v.pk, theme_id=b.pk, key=f"u{v.pk}")
        for v in voters
    ]
    # open polls, options, attendees, the choices replaced, upsert, the audit trail's insert,
    # version bump, and the savepoint's two
    with django_assert_num_queries(9):
        results = ballots_cast(requests=taps[: size // 2] + changes[size // 2 :])
    assert all(r.ok for r in results)
    assert Ballot.objects.filter(theme=b).count() == size - size // 2


# --- a vote nobody voted in -----------------------------------------------------------------


def test_a_vote_without_ballots_is_decided_by_the_facilitators_choice_under_either_rule(db):
    for rule in ("casting", "runoff"):
        poll = poll_open(workshop=make_voting_workshop(), tie_rule=rule)
        _, b, _ = _themes(poll)
        poll_close(poll=poll)

        poll_decide(poll=poll, theme_id=b.pk)

        poll.refresh_from_db()
        assert (poll.state, poll.decided_theme, poll.decided_by) == ("decided", b, "casting")


def test_a_vote_without_ballots_needs_a_theme_and_has_no_runoff(workshop):
    poll = poll_open(workshop=workshop, tie_rule="runoff")
    poll_close(poll=poll)

    with pytest.raises(ValidationError, match="Nobody voted: choose the theme"):
        poll_decide(poll=poll)
    with pytest.raises(ValidationError, match="nothing is tied"):
        poll_runoff_start(poll=poll)
    assert Poll.objects.filter(runoff_of=poll).exists() is False
