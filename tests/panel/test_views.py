import pytest
from django.test import Client

from panel.models import BoardPost, Question, Upvote
from panel.services import question_approve, question_submit
from workshop.models import Attendee


@pytest.fixture
def phone(demo_workshop):
    client = Client(enforce_csrf_checks=True)
    client.get("/j/PCN25/")  # the CSRF cookie
    # joins as live.js does: the attendee cookie
    client.post("/j/PCN25/join/", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    return client


def _post(client, url, data):
    return client.post(url, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def test_question_page_lists_and_marks_own_questions(
    phone, demo_workshop, django_assert_num_queries
):
    demo_workshop.moderate_questions = False
    demo_workshop.save()
    _post(phone, "/j/PCN25/questions/ask/", {"text": "Mine"})
    other = Attendee.objects.create(workshop=demo_workshop)
    question_submit(workshop=demo_workshop, attendee_id=other.pk, text="Theirs")

    # workshop, marks (2), themes, panellists, questions, own pending
    with django_assert_num_queries(7):
        body = phone.get("/j/PCN25/questions/").content.decode()

    assert body.count('chip--mine">Your question') == 1
    assert "Mine" in body and "Theirs" in body


def test_ask_by_form_waits_for_approval_and_says_so(phone, demo_workshop):
    response = _post(phone, "/j/PCN25/questions/ask/", {"text": "How are PCNs funded?"})
    assert response.status_code == 302
    body = phone.get("/j/PCN25/questions/").content.decode()
    assert "It will appear once the facilitator approves it." in body
    assert "Waiting for approval" in body
    assert Question.objects.get().status == "pending"


def test_ask_by_form_with_oversized_text_is_refused_with_the_services_message(phone):
    _post(phone, "/j/PCN25/questions/ask/", {"text": "z" * 300})
    body = phone.get("/j/PCN25/questions/").content.decode()
    assert "is 300 characters long; the limit is 280" in body
    assert Question.objects.count() == 0


def test_script_in_a_question_is_shown_as_text_everywhere(phone, demo_workshop, admin_client):
    _post(phone, "/j/PCN25/questions/ask/", {"text": "<script>alert(1)</script>"})
    question_approve(question=Question.objects.get())
    from workshop.services import live_state_ensure

    secret = live_state_ensure(workshop=demo_workshop).screen_secret
    for client, url in (
        (phone, "/j/PCN25/questions/"),
        (admin_client, "/s/PCN25/console/"),
        (Client(), f"/s/PCN25/screen/{secret}/"),
    ):
        body = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in body, url
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;" in phone.get("/j/PCN25/questions/").content.decode()
    )


def test_upvote_by_form_and_take_it_back(phone, demo_workshop):
    other = Attendee.objects.create(workshop=demo_workshop)
    question = question_approve(
        question=question_submit(workshop=demo_workshop, attendee_id=other.pk, text="Q?")
    )
    for _ in range(2):  # the second post (a resubmitted form) changes nothing
        _post(
            phone,
            "/j/PCN25/questions/upvote/",
            {"question": question.pk, "action": "question_upvote"},
        )
    assert Upvote.objects.count() == 1
    page = phone.get("/j/PCN25/questions/").content.decode()
    assert 'aria-pressed="true"' in page and "Upvoted." in page and "flash--error" not in page
    _post(
        phone, "/j/PCN25/questions/upvote/", {"question": question.pk, "action": "question_unvote"}
    )
    assert Upvote.objects.count() == 0


def test_upvote_by_form_on_a_waiting_question_is_refused(phone, demo_workshop):
    other = Attendee.objects.create(workshop=demo_workshop)
    question = question_submit(workshop=demo_workshop, attendee_id=other.pk, text="Q?")
    _post(phone, "/j/PCN25/questions/upvote/", {"question": question.pk})
    assert Upvote.objects.count() == 0
    assert "not open for upvotes" in phone.get("/j/PCN25/questions/").content.decode()


def test_board_post_by_form_shows_on_the_board(phone, demo_workshop):
    _post(phone, "/j/PCN25/board/post/", {"kind": "challenge", "text": "Recruiting staff"})
    body = phone.get("/j/PCN25/board/").content.decode()
    assert "your view is on the board" in body
    assert "Recruiting staff" in body
    assert BoardPost.objects.get().kind == "challenge"


def test_forged_question_form_is_refused(phone):
    response = phone.post("/j/PCN25/questions/ask/", {"text": "no token"})
    assert response.status_code == 403
    assert Question.objects.count() == 0


def test_a_question_posted_twice_under_one_key_is_stored_once(phone, demo_workshop):
    # The socket was down, so the phone posted the form; the second post is a retap of the
    # same unanswered text (live.js keeps its key until the server takes it).
    for _ in range(2):
        response = _post(phone, "/j/PCN25/questions/ask/", {"text": "Estates?", "key": "k-1"})
        assert response.status_code == 302
    assert (
        "It will appear once the facilitator approves it."
        in phone.get("/j/PCN25/questions/").content.decode()
    )
    assert Question.objects.count() == 1


def test_a_forged_key_in_a_posted_view_is_refused(phone):
    _post(phone, "/j/PCN25/board/post/", {"kind": "challenge", "text": "x", "key": "<script>"})
    assert "That view was not understood." in phone.get("/j/PCN25/board/").content.decode()
    assert BoardPost.objects.count() == 0
