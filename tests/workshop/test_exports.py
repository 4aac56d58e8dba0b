"""The workshop's exports: JSON valid against docs/export.schema.json, CSV, the download
views' login, and manage.py export_workshop."""

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from panel.services import board_post_submit, question_submit, question_upvote
from tests.factories import log_in, make_attendee, make_voting_workshop
from voting.models import Poll
from voting.services import ballot_cast, poll_close, poll_decide, poll_open, poll_reveal
from workshop import exports
from workshop.services import facilitator_ensure, live_state_ensure, stage_goto

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "export.schema.json").read_text()
)


@pytest.fixture
def room(db):
    """A workshop after its session: a decided vote, an open second one, questions, views."""
    workshop = make_voting_workshop(moderate_questions=False)
    people = [make_attendee(workshop=workshop) for _ in range(4)]
    themes = list(workshop.themes.order_by("position"))
    poll = poll_open(workshop=workshop)
    for person, i in zip(people, [0, 1, 1, 1], strict=True):
        ballot_cast(poll_id=poll.pk, attendee_id=person.pk, theme_id=themes[i].pk)
    poll_close(poll=poll)
    poll_reveal(poll=poll)
    poll_decide(poll=poll)
    second = poll_open(workshop=workshop)
    ballot_cast(poll_id=second.pk, attendee_id=people[0].pk, theme_id=themes[2].pk)
    question = question_submit(
        workshop=workshop, attendee_id=people[0].pk, text="Who pays?", theme_id=themes[1].pk,
        author_name="Ann",
    )  # fmt: skip
    for person in people[1:]:
        question_upvote(workshop=workshop, question_id=question.pk, attendee_id=person.pk)
    board_post_submit(
        workshop=workshop, attendee_id=people[1].pk, kind="challenge", text="Time", theme_id=None
    )
    board_post_submit(
        workshop=workshop, attendee_id=people[2].pk, kind="opportunity", text="Data",
        theme_id=themes[0].pk,
    )  # fmt: skip
    return workshop


@pytest.mark.parametrize("name", exports.NAMES)
def test_each_json_export_is_valid_against_the_published_schema(room, name):
    data = json.loads(exports.export_json(room, name))

    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert data[name]  # the room has rows of each kind


def test_the_schema_refuses_an_export_that_names_an_attendee(room):
    data = json.loads(exports.export_json(room, "votes"))
    data["votes"][0]["ballots"][0]["attendee"] = 7

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def test_the_votes_export_holds_the_counts_record_and_digest_of_each_vote(room):
    decided, still_open = json.loads(exports.export_json(room, "votes"))["votes"]
    poll = Poll.objects.get(pk=decided["id"])

    assert decided["counts"] == [
        {"theme": "Theme 1", "ballots": 1},
        {"theme": "Theme 2", "ballots": 3},
        {"theme": "Theme 3", "ballots": 0},
    ]
    assert (decided["total"], decided["decided_theme"], decided["decided_by"]) == (
        4,
        "Theme 2",
        "majority",
    )
    assert decided["ballots"] == poll.record
    assert decided["record_digest"] == poll.record_digest
    assert (still_open["state"], still_open["record_digest"], still_open["total"]) == (
        "open",
        None,
        1,
    )


def test_the_questions_and_views_exports_name_no_one(room):
    (question,) = json.loads(exports.export_json(room, "questions"))["questions"]
    views = json.loads(exports.export_json(room, "views"))["views"]

    assert (question["text"], question["theme"], question["upvotes"], question["status"]) == (
        "Who pays?",
        "Theme 2",
        3,
        "live",
    )
    assert "Ann" not in json.dumps(question)
    assert [(v["kind"], v["theme"], v["text"], v["state"]) for v in views] == [
        ("challenge", None, "Time", "shown"),
        ("opportunity", "Theme 1", "Data", "shown"),
    ]


def test_the_csv_exports_have_one_row_per_ballot_question_and_view(room):
    votes = list(csv.DictReader(io.StringIO(exports.export_csv(room, "votes"))))
    questions = list(csv.DictReader(io.StringIO(exports.export_csv(room, "questions"))))
    views = list(csv.DictReader(io.StringIO(exports.export_csv(room, "views"))))

    decided = Poll.objects.filter(state="decided").get()
    assert [r["alias"] for r in votes if r["poll"] == str(decided.pk)] == [
        e["alias"] for e in decided.record
    ]
    assert {r["record_digest"] for r in votes if r["poll"] == str(decided.pk)} == {
        decided.record_digest
    }
    assert len(votes) == 5
    assert list(votes[0]) == exports.CSV_COLUMNS["votes"]
    assert [(q["text"], q["upvotes"]) for q in questions] == [("Who pays?", "3")]
    assert [v["text"] for v in views] == ["Time", "Data"]


def test_a_facilitator_downloads_the_exports(client, room):
    facilitator_ensure(username="fac", password="long-enough-pass-1")
    log_in(client, "fac", "long-enough-pass-1")

    response = client.get(f"/s/{room.join_code}/export/votes.json")
    csv_response = client.get(f"/s/{room.join_code}/export/views.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{room.join_code}-votes.json"'
    jsonschema.validate(json.loads(response.content), SCHEMA)
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response.content.decode().startswith("id,kind,theme,text,state,created_at\n")
    assert client.get(f"/s/{room.join_code}/export/ballots.json").status_code == 404
    assert client.get(f"/s/{room.join_code}/export/votes.xml").status_code == 404
    assert client.get("/s/NOSUCH/export/votes.json").status_code == 404


def test_the_exports_need_the_facilitators_login(client, room):
    response = client.get(f"/s/{room.join_code}/export/votes.json")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")

    get_user_model().objects.create_user("staff", password="long-enough-pass-1", is_staff=True)
    log_in(client, "staff", "long-enough-pass-1")
    assert client.get(f"/s/{room.join_code}/export/votes.json").status_code == 403


def test_the_console_links_to_the_exports(client, room):
    facilitator_ensure(username="fac", password="long-enough-pass-1")
    log_in(client, "fac", "long-enough-pass-1")
    live_state_ensure(workshop=room)

    body = client.get(f"/s/{room.join_code}/console/").content.decode()

    for name in exports.NAMES:
        for fmt in ("json", "csv"):
            assert f'href="/s/{room.join_code}/export/{name}.{fmt}"' in body


def test_export_workshop_writes_the_same_files(room, tmp_path):
    out = io.StringIO()
    call_command("export_workshop", room.join_code.lower(), "--out", str(tmp_path), stdout=out)

    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        f"{room.join_code}-{n}.{f}" for n in exports.NAMES for f in ("json", "csv")
    )
    for name in exports.NAMES:
        written = json.loads((tmp_path / f"{room.join_code}-{name}.json").read_text())
        built = json.loads(exports.export_json(room, name))
        written.pop("exported_at"), built.pop("exported_at")
        assert written == built
        assert (tmp_path / f"{room.join_code}-{name}.csv").read_text() == exports.export_csv(
            room, name
        )
    assert len(out.getvalue().splitlines()) == 2 * len(exports.NAMES)


def test_export_workshop_refuses_an_unknown_code(db, tmp_path):
    with pytest.raises(CommandError, match="No workshop has the code"):
        call_command("export_workshop", "NOSUCH", "--out", str(tmp_path))


def test_the_agenda_export_gives_planned_and_actual_times(room):
    first, second = room.agenda_items.order_by("position")[:2]
    stage_goto(workshop=room, item_id=first.pk, actor="fac")
    stage_goto(workshop=room, item_id=second.pk, actor="fac")

    data = exports.export_data(room, "agenda")
    jsonschema.validate(data, SCHEMA)
    rows = data["agenda"]
    assert [r["title"] for r in rows] == [i.title for i in room.agenda_items.order_by("position")]
    assert rows[0]["visits"] == 1 and rows[0]["actual_end"] == rows[1]["actual_start"]
    assert rows[0]["actual_minutes"] is not None and rows[1]["actual_end"] is None
    table = list(csv.DictReader(io.StringIO(exports.export_csv(room, "agenda"))))
    assert [r["title"] for r in table] == [r["title"] for r in rows]
    assert table[1]["actual_end"] == ""


def test_the_report_links_to_the_exports_for_the_facilitator(client, room):
    facilitator_ensure(username="fac", password="long-enough-pass-1")
    log_in(client, "fac", "long-enough-pass-1")

    body = client.get(f"/s/{room.join_code}/report/").content.decode()

    for name in exports.NAMES:
        assert f'href="/s/{room.join_code}/export/{name}.csv"' in body
