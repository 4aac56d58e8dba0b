import pytest
from django.contrib.auth import get_user_model

from panel.models import BoardPost
from panel.services import board_post_submit
from tests.factories import log_in, make_attendee
from voting.models import Poll
from workshop.models import LiveState
from workshop.services import facilitator_ensure, live_state_ensure


@pytest.fixture
def facilitator(client, demo_workshop):
    facilitator_ensure(username="fac", password="long-enough-pass-1")
    log_in(client, "fac", "long-enough-pass-1")
    return client


def test_console_needs_a_login(client, demo_workshop):
    response = client.get("/s/PCN25/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_console_refuses_staff_without_the_run_permission(client, demo_workshop):
    get_user_model().objects.create_user("staff", password="long-enough-pass-1", is_staff=True)
    log_in(client, "staff", "long-enough-pass-1")
    assert client.get("/s/PCN25/console/").status_code == 403


def test_console_shows_agenda_vote_controls_and_projector_link(facilitator, demo_workshop):
    body = facilitator.get("/s/PCN25/console/").content.decode()
    secret = LiveState.objects.get(workshop=demo_workshop).screen_secret
    assert f'href="/s/PCN25/screen/{secret}/"' in body
    assert "Open the vote" in body and 'data-key="n"' in body
    assert body.count('id="console-item-') == demo_workshop.agenda_items.count()


def test_console_action_by_form_runs_the_service(facilitator, demo_workshop):
    response = facilitator.post(
        "/s/PCN25/console/action/", {"action": "poll_open", "tie_rule": "runoff"}
    )
    assert response.status_code == 302
    poll = Poll.objects.get()
    assert (poll.state, poll.tie_rule) == ("open", "runoff")
    assert "The vote is open." in facilitator.get("/s/PCN25/console/").content.decode()


def test_console_action_refusal_is_shown_and_changes_nothing(facilitator, demo_workshop):
    facilitator.post("/s/PCN25/console/action/", {"action": "poll_close"})
    facilitator.post("/s/PCN25/console/action/", {"action": "drop_tables"})
    body = facilitator.get("/s/PCN25/console/").content.decode()
    assert "No vote has been opened yet." in body
    assert "Unknown console action." in body
    assert Poll.objects.count() == 0


def test_console_action_refuses_non_facilitators(client, demo_workshop):
    assert client.post("/s/PCN25/console/action/", {"action": "poll_open"}).status_code == 302
    assert Poll.objects.count() == 0


def test_projector_opens_with_its_secret_and_shows_the_qr_code(client, demo_workshop):
    secret = live_state_ensure(workshop=demo_workshop).screen_secret
    body = client.get(f"/s/PCN25/screen/{secret}/").content.decode()
    assert "<svg" in body and "http://testserver/j/PCN25/" not in body  # shown without scheme
    assert "testserver/j/PCN25<" in body


def test_projector_with_a_wrong_secret_is_not_found(client, demo_workshop):
    live_state_ensure(workshop=demo_workshop)
    assert client.get("/s/PCN25/screen/guess/").status_code == 404


def test_projector_and_console_query_counts_are_fixed(
    facilitator, demo_workshop, django_assert_num_queries
):
    from voting.services import ballot_cast, poll_open
    from workshop.models import Attendee

    poll = poll_open(workshop=demo_workshop, show_bars=True)
    for theme in poll.options.all():
        for _ in range(3):
            attendee = Attendee.objects.create(workshop=demo_workshop)
            ballot_cast(poll_id=poll.pk, attendee_id=attendee.pk, theme_id=theme.pk)
    secret = live_state_ensure(workshop=demo_workshop).screen_secret
    # session, user, permissions (2), workshop, live state (2), agenda, leads, vote, options,
    # tally (3), question queue, board: the same with 9 ballots as with 9,000.
    with django_assert_num_queries(16):
        facilitator.get("/s/PCN25/console/")
    # projector: workshop, secret, live state, agenda, leads, vote, options, tally (3)
    with django_assert_num_queries(10):
        facilitator.get(f"/s/PCN25/screen/{secret}/")


def test_console_lists_held_views_and_approves_one_by_form(facilitator, demo_workshop):
    demo_workshop.moderate_views = True
    demo_workshop.save()
    post = board_post_submit(
        workshop=demo_workshop, attendee_id=make_attendee(workshop=demo_workshop).pk,
        kind="challenge", text="Estates are full", theme_id=None,
    )  # fmt: skip
    body = facilitator.get("/s/PCN25/console/").content.decode()
    held = body.split('id="console-held"')[1].split("</section>")[0]
    assert "Estates are full" in held and 'data-focus="board_approve:' in held

    facilitator.post("/s/PCN25/console/action/", {"action": "board_approve", "post": post.pk})

    assert BoardPost.objects.get().held is False
    body = facilitator.get("/s/PCN25/console/").content.decode()
    assert "The view is on the board." in body
    assert "Estates are full" not in body.split('id="console-held"')[1].split("</section>")[0]


def test_console_page_has_a_skip_link_first_and_an_announcement_region(facilitator):
    body = facilitator.get("/s/PCN25/console/").content.decode()
    first_link = body.index("<a ")
    assert body[first_link:].startswith('<a class="skip" href="#main">Skip to the console</a>')
    assert 'id="main" tabindex="-1"' in body
    assert 'id="console-announce" class="visually-hidden" role="log" aria-live="polite"' in body


def test_a_long_workshop_title_is_cut_at_a_word_on_console_and_phone(facilitator, demo_workshop):
    title = demo_workshop.title
    assert len(title) > 80  # the demo's title is long enough to be cut on both
    console = facilitator.get("/s/PCN25/console/").content.decode()
    phone = facilitator.get("/j/PCN25/").content.decode()
    for page, width in ((console, 80), (phone, 60)):
        shown = next(
            part.split("…")[0] + "…" for part in page.split(">") if part.startswith(title[:30])
        )
        assert len(shown) <= width
        assert title.startswith(shown[:-1])
        assert title[len(shown) - 1] == " "  # the next character was a space: no word was cut
