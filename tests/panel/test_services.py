import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from panel.models import BoardPost, Person, Question, Upvote
from panel.selectors import (
    board_posts,
    board_posts_console,
    board_posts_held_of,
    questions_queue,
    questions_visible,
)
from panel.services import (
    QUESTIONS_PER_MINUTE,
    board_post_approve,
    board_post_hide,
    board_post_submit,
    question_approve,
    question_hide,
    question_mark_answered,
    question_put_on_screen,
    question_submit,
    question_unvote,
    question_upvote,
)
from tests.factories import log_in, make_attendee, make_person, make_voting_workshop, make_workshop
from tests.postgres import while_uncommitted
from workshop.models import LiveState


@pytest.fixture
def workshop(db):
    return make_voting_workshop(moderate_questions=True)


@pytest.fixture
def open_workshop(db):
    return make_voting_workshop(moderate_questions=False)


def _ask(workshop, text="What should change first?", **kwargs):
    attendee = kwargs.pop("attendee", None) or make_attendee(workshop=workshop)
    return question_submit(workshop=workshop, attendee_id=attendee.pk, text=text, **kwargs)


def test_question_waits_for_approval_when_moderated(workshop):
    question = _ask(workshop)
    assert (question.status, question.approved_at) == ("pending", None)
    assert questions_visible(workshop_id=workshop.pk) == []


def test_question_goes_live_at_once_without_moderation(open_workshop):
    question = _ask(open_workshop)
    assert question.status == "live" and question.approved_at is not None
    assert questions_visible(workshop_id=open_workshop.pk) == [question]


def test_question_keeps_theme_panellist_and_name_and_trims_text(open_workshop):
    theme = open_workshop.themes.first()
    panellist = make_person(workshop=open_workshop, role=Person.Role.PANELLIST)
    question = _ask(
        open_workshop, text="  Who pays?  ", theme_id=theme.pk, panellist_id=panellist.pk,
        author_name=" Sam ",
    )  # fmt: skip
    assert (question.text, question.theme, question.panellist, question.author_name) == (
        "Who pays?", theme, panellist, "Sam",
    )  # fmt: skip


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "is empty"),
        ("   \n\t ", "is empty"),
        ("x" * 281, "is 281 characters long; the limit is 280"),
        ("bell\x07here", "control characters"),
        ("null\x00byte", "control characters"),
    ],
)
def test_question_text_is_refused_with_a_message(workshop, text, message):
    with pytest.raises(ValidationError, match=message):
        _ask(workshop, text=text)
    assert Question.objects.count() == 0


def test_question_of_exactly_the_limit_is_accepted(workshop):
    assert len(_ask(workshop, text="y" * 280).text) == 280


def test_question_refuses_a_foreign_theme_or_a_non_panellist(workshop):
    other = make_voting_workshop()
    chair = make_person(workshop=workshop, role=Person.Role.CHAIR)
    with pytest.raises(ValidationError, match="theme from the list"):
        _ask(workshop, theme_id=other.themes.first().pk)
    with pytest.raises(ValidationError, match="panellist from the list"):
        _ask(workshop, panellist_id=chair.pk)
    assert Question.objects.count() == 0


def test_question_refuses_a_stranger(workshop):
    stranger = make_attendee(workshop=make_workshop())
    with pytest.raises(ValidationError, match="Join this workshop"):
        _ask(workshop, attendee=stranger)


def test_question_rate_limit_answers_with_a_message(workshop):
    attendee = make_attendee(workshop=workshop)
    for i in range(QUESTIONS_PER_MINUTE):
        _ask(workshop, text=f"Question {i}", attendee=attendee)
    with pytest.raises(ValidationError, match="3 questions a minute"):
        _ask(workshop, text="One too many", attendee=attendee)
    assert Question.objects.count() == QUESTIONS_PER_MINUTE
    _ask(workshop, text="Someone else may still ask")


def test_moderation_transitions(workshop):
    question = _ask(workshop)
    question = question_approve(question=question)
    assert question.status == "live"
    with pytest.raises(ValidationError, match="Only a waiting or hidden"):
        question_approve(question=question)
    question = question_mark_answered(question=question)
    assert question.status == "answered" and question.answered_at is not None
    with pytest.raises(ValidationError, match="Only a live question"):
        question_mark_answered(question=question)
    question = question_hide(question=question)
    assert question.status == "hidden"
    with pytest.raises(ValidationError, match="already hidden"):
        question_hide(question=question)
    assert question_approve(question=question).status == "live"  # restored


def test_put_on_screen_needs_an_approved_question(workshop):
    question = _ask(workshop)
    with pytest.raises(ValidationError, match="Approve the question"):
        question_put_on_screen(question=question)
    question_approve(question=question)
    question_put_on_screen(question=question)
    state = LiveState.objects.get(workshop=workshop)
    assert (state.screen_question, state.screen) == (question, "question")


def test_hiding_the_question_on_screen_takes_it_off(workshop):
    question = question_approve(question=_ask(workshop))
    question_put_on_screen(question=question)
    question_hide(question=question)
    state = LiveState.objects.get(workshop=workshop)
    assert (state.screen_question, state.screen) == (None, "questions")


def test_upvote_once_and_take_it_back(open_workshop):
    question = _ask(open_workshop)
    voter = make_attendee(workshop=open_workshop)
    version = LiveState.objects.get(workshop=open_workshop).panel_version

    def up():
        return question_upvote(
            workshop=open_workshop, question_id=question.pk, attendee_id=voter.pk
        )

    def down():
        return question_unvote(
            workshop=open_workshop, question_id=question.pk, attendee_id=voter.pk
        )

    assert up() == 1
    assert Upvote.objects.count() == 1
    assert LiveState.objects.get(workshop=open_workshop).panel_version == version + 1
    assert down() == 0
    assert Upvote.objects.count() == 0
    assert LiveState.objects.get(workshop=open_workshop).panel_version == version + 2


def test_an_upvote_sent_again_is_answered_and_changes_nothing(open_workshop):
    # The phone says what it wants: a resend after a lost answer (or a second tab of the
    # same attendee) gets the count back, and nothing is stored or pushed.
    question = _ask(open_workshop)
    voter, other = make_attendee(workshop=open_workshop), make_attendee(workshop=open_workshop)
    question_upvote(workshop=open_workshop, question_id=question.pk, attendee_id=other.pk)
    args = {"workshop": open_workshop, "question_id": question.pk, "attendee_id": voter.pk}

    assert question_upvote(**args) == 2
    version = LiveState.objects.get(workshop=open_workshop).panel_version
    assert question_upvote(**args) == 2
    assert Upvote.objects.filter(attendee=voter).count() == 1
    assert LiveState.objects.get(workshop=open_workshop).panel_version == version

    assert question_unvote(**args) == 1
    version = LiveState.objects.get(workshop=open_workshop).panel_version
    assert question_unvote(**args) == 1
    assert list(Upvote.objects.values_list("attendee", flat=True)) == [other.pk]
    assert LiveState.objects.get(workshop=open_workshop).panel_version == version


def test_taking_back_an_upvote_on_another_workshops_question_is_refused(open_workshop):
    elsewhere = make_voting_workshop(moderate_questions=False)
    question = _ask(elsewhere)
    question_upvote(
        workshop=elsewhere,
        question_id=question.pk,
        attendee_id=make_attendee(workshop=elsewhere).pk,
    )
    voter = make_attendee(workshop=open_workshop)
    with pytest.raises(ValidationError, match="not in this workshop"):
        question_unvote(workshop=open_workshop, question_id=question.pk, attendee_id=voter.pk)
    assert Upvote.objects.count() == 1


def test_upvote_on_a_hidden_or_waiting_question_is_refused(workshop):
    waiting = _ask(workshop)
    hidden = question_hide(question=question_approve(question=_ask(workshop, text="Another")))
    voter = make_attendee(workshop=workshop)
    for question in (waiting, hidden):
        with pytest.raises(ValidationError, match="not open for upvotes"):
            question_upvote(workshop=workshop, question_id=question.pk, attendee_id=voter.pk)
    assert Upvote.objects.count() == 0


def test_visible_questions_sort_by_votes_or_newest(open_workshop):
    first = _ask(open_workshop, text="First")
    _ask(open_workshop, text="Second")
    for _ in range(2):
        question_upvote(
            workshop=open_workshop, question_id=first.pk,
            attendee_id=make_attendee(workshop=open_workshop).pk,
        )  # fmt: skip
    assert [q.text for q in questions_visible(workshop_id=open_workshop.pk, sort="top")] == [
        "First", "Second",
    ]  # fmt: skip
    assert [q.text for q in questions_visible(workshop_id=open_workshop.pk, sort="new")] == [
        "Second", "First",
    ]  # fmt: skip


def test_questions_queue_groups_by_status(workshop):
    pending = _ask(workshop, text="Waiting")
    live = question_approve(question=_ask(workshop, text="Live"))
    queue = questions_queue(workshop_id=workshop.pk)
    assert ([q.pk for q in queue["pending"]], [q.pk for q in queue["live"]]) == (
        [pending.pk],
        [live.pk],
    )


def test_visible_questions_query_count_is_fixed(open_workshop, django_assert_num_queries):
    for i in range(8):
        _ask(open_workshop, text=f"Q{i}", theme_id=open_workshop.themes.first().pk)
    with django_assert_num_queries(1):
        assert len([q.theme.title for q in questions_visible(workshop_id=open_workshop.pk)]) == 8


def test_board_post_appears_at_once_and_can_be_hidden(workshop):
    attendee = make_attendee(workshop=workshop)
    post = board_post_submit(
        workshop=workshop, attendee_id=attendee.pk, kind="challenge", text="Workload", theme_id=None
    )
    assert board_posts(workshop_id=workshop.pk)["challenge"] == [post]
    board_post_hide(post=post)
    assert board_posts(workshop_id=workshop.pk)["challenge"] == []
    with pytest.raises(ValidationError, match="already hidden"):
        board_post_hide(post=post)


def test_board_post_refuses_bad_kind_and_bad_text(workshop):
    attendee = make_attendee(workshop=workshop)
    with pytest.raises(ValidationError, match="opportunity or a challenge"):
        board_post_submit(
            workshop=workshop, attendee_id=attendee.pk, kind="rant", text="x", theme_id=None
        )
    with pytest.raises(ValidationError, match="Your view is empty"):
        board_post_submit(
            workshop=workshop, attendee_id=attendee.pk, kind="opportunity", text=" ", theme_id=None
        )
    assert BoardPost.objects.count() == 0


def test_board_filters_to_the_chosen_theme(workshop):
    attendee = make_attendee(workshop=workshop)
    one, two = list(workshop.themes.all()[:2])
    board_post_submit(
        workshop=workshop, attendee_id=attendee.pk, kind="opportunity", text="A", theme_id=one.pk
    )
    board_post_submit(
        workshop=workshop, attendee_id=attendee.pk, kind="opportunity", text="B", theme_id=two.pk
    )
    assert [
        p.text for p in board_posts(workshop_id=workshop.pk, theme_id=two.pk)["opportunity"]
    ] == ["B"]
    assert len(board_posts(workshop_id=workshop.pk)["opportunity"]) == 2


def test_every_panel_change_bumps_the_panel_version(open_workshop):
    _ask(open_workshop)
    assert LiveState.objects.get(workshop=open_workshop).panel_version == 1


def test_admin_approve_action_goes_through_the_service(client, workshop):
    from workshop.services import facilitator_ensure

    facilitator_ensure(username="fac", password="long-enough-pass-1")
    log_in(client, "fac", "long-enough-pass-1")
    waiting, live = (
        _ask(workshop, text="Waiting"),
        question_approve(question=_ask(workshop, text="Live")),
    )

    response = client.post(
        "/admin/panel/question/",
        {"action": "approve", "_selected_action": [waiting.pk, live.pk]},
        follow=True,
    )

    body = response.content.decode()
    assert "“Waiting”: approved." in body
    assert "Only a waiting or hidden question can be approved." in body
    assert Question.objects.get(pk=waiting.pk).status == "live"


def test_a_question_sent_again_under_its_key_is_stored_once(open_workshop):
    attendee = make_attendee(workshop=open_workshop)
    first = _ask(open_workshop, attendee=attendee, key="k-1")
    # The phone's socket died before the answer; it sends the same question again.
    again = _ask(open_workshop, attendee=attendee, key="k-1")

    assert again.pk == first.pk
    assert Question.objects.count() == 1
    assert LiveState.objects.get(workshop=open_workshop).panel_version == 1  # one push
    # Keys are the phone's own: another attendee's same key is another question.
    _ask(open_workshop, key="k-1")
    assert Question.objects.count() == 2


def test_a_resend_is_answered_even_at_the_rate_limit(workshop):
    attendee = make_attendee(workshop=workshop)
    for i in range(QUESTIONS_PER_MINUTE):
        last = _ask(workshop, text=f"Question {i}", attendee=attendee, key=f"k-{i}")
    assert _ask(workshop, text=last.text, attendee=attendee, key=last.key).pk == last.pk
    with pytest.raises(ValidationError, match="3 questions a minute"):
        _ask(workshop, text="One too many", attendee=attendee, key="k-new")
    assert Question.objects.count() == QUESTIONS_PER_MINUTE


def test_a_view_sent_again_under_its_key_is_stored_once(workshop):
    attendee = make_attendee(workshop=workshop)

    def post():
        return board_post_submit(
            workshop=workshop, attendee_id=attendee.pk, kind="opportunity",
            text="Shared pharmacists", theme_id=None, key="v-1",
        )  # fmt: skip

    assert post().pk == post().pk
    assert BoardPost.objects.count() == 1
    assert LiveState.objects.get(workshop=workshop).panel_version == 1


def test_two_sends_of_one_key_at_once_store_one_question(transactional_db):
    # Two workers take the phone's send and its resend at the same moment: neither sees the
    # other's row when it looks, and the unique key decides at the insert.
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite takes its write lock at BEGIN, so the two sends "
                    "cannot overlap there")  # fmt: skip
    workshop = make_voting_workshop(moderate_questions=False)
    attendee = make_attendee(workshop=workshop)

    def send():
        return _ask(workshop, attendee=attendee, key="k-1")

    first, second, waiting = while_uncommitted(send, send)

    assert waiting is not None and waiting.startswith('INSERT INTO "panel_question"')
    assert second.pk == first.pk
    assert Question.objects.count() == 1
    assert LiveState.objects.get(workshop=workshop).panel_version == 1


def test_two_sends_of_one_upvote_at_once_store_one(transactional_db):
    # A phone's upvote and its resend reach two workers at the same moment: the constraint
    # decides, and the second is answered with the count, not an error.
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite takes its write lock at BEGIN, so the two sends "
                    "cannot overlap there")  # fmt: skip
    workshop = make_voting_workshop(moderate_questions=False)
    question = _ask(workshop)
    voter = make_attendee(workshop=workshop)

    def send():
        return question_upvote(workshop=workshop, question_id=question.pk, attendee_id=voter.pk)

    first, second, waiting = while_uncommitted(send, send)

    assert waiting is not None and waiting.startswith('INSERT INTO "panel_upvote"')
    assert (first, second) == (1, 1)
    assert Upvote.objects.count() == 1
    assert LiveState.objects.get(workshop=workshop).panel_version == 2  # the question, the upvote


# --- view moderation --------------------------------------------------------------------------


def _post(workshop, text="Shared pharmacists", **kwargs):
    attendee = kwargs.pop("attendee", None) or make_attendee(workshop=workshop)
    return board_post_submit(
        workshop=workshop, attendee_id=attendee.pk, kind="opportunity", text=text,
        theme_id=None, **kwargs,
    )  # fmt: skip


def test_views_are_shown_at_once_unless_the_workshop_moderates_them(db):
    workshop = make_voting_workshop()
    assert workshop.moderate_views is False
    post = _post(workshop)
    assert post.held is False
    assert board_posts(workshop_id=workshop.pk)["opportunity"] == [post]


def test_a_moderated_view_is_held_seen_only_by_its_poster_and_the_console(db):
    workshop = make_voting_workshop(moderate_views=True)
    poster, other = make_attendee(workshop=workshop), make_attendee(workshop=workshop)

    post = _post(workshop, attendee=poster)

    assert post.held is True
    assert board_posts(workshop_id=workshop.pk)["opportunity"] == []
    assert board_posts_held_of(attendee_id=poster.pk) == [post]
    assert board_posts_held_of(attendee_id=other.pk) == []
    assert board_posts_console(workshop_id=workshop.pk) == ([post], [])


def test_approving_a_held_view_puts_it_on_the_board(db):
    workshop = make_voting_workshop(moderate_views=True)
    first, second = _post(workshop, text="First"), _post(workshop, text="Second")
    assert board_posts_console(workshop_id=workshop.pk) == ([first, second], [])  # oldest first
    version = LiveState.objects.get(workshop=workshop).panel_version

    board_post_approve(post=first)

    first.refresh_from_db()
    assert (first.held, first.hidden) == (False, False)
    assert board_posts(workshop_id=workshop.pk)["opportunity"] == [first]
    assert board_posts_console(workshop_id=workshop.pk) == ([second], [first])
    assert LiveState.objects.get(workshop=workshop).panel_version == version + 1
    with pytest.raises(ValidationError, match="already on the board"):
        board_post_approve(post=first)


def test_hiding_a_held_view_takes_it_out_of_the_queue_and_approving_shows_it_again(db):
    workshop = make_voting_workshop(moderate_views=True)
    post = _post(workshop)

    board_post_hide(post=post)

    post.refresh_from_db()
    assert (post.held, post.hidden) == (False, True)
    assert board_posts_console(workshop_id=workshop.pk) == ([], [post])
    assert board_posts(workshop_id=workshop.pk)["opportunity"] == []
    board_post_approve(post=post)
    assert board_posts(workshop_id=workshop.pk)["opportunity"] == [post]


def test_moderation_follows_the_switch_as_saved_not_the_workshop_object_in_hand(db):
    # A phone's socket holds the workshop it connected with; admin may change it since.
    workshop = make_voting_workshop(moderate_views=False, moderate_questions=False)
    in_hand = type(workshop).objects.get(pk=workshop.pk)
    workshop.moderate_views = workshop.moderate_questions = True
    workshop.save()

    assert _post(in_hand).held is True
    assert _ask(in_hand).status == Question.Status.PENDING


def test_the_console_reads_its_views_in_one_query(db, django_assert_num_queries):
    workshop = make_voting_workshop(moderate_views=True)
    for i in range(6):
        post = _post(workshop, text=f"V{i}")
        if i % 2:
            board_post_approve(post=post)
    with django_assert_num_queries(1):
        held, shown = board_posts_console(workshop_id=workshop.pk)
        assert (len(held), len(shown)) == (3, 3)
        assert [p.theme for p in held + shown] == [None] * 6
