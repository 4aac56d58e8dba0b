import datetime
import re

import pytest
from django.contrib.auth import get_user_model

from evidence.models import Finding
from tests.factories import log_in, make_person, make_report, make_theme, make_workshop
from workshop.models import AgendaItem, Workshop
from workshop.services import facilitator_ensure


@pytest.fixture
def organiser_client(client, db):
    facilitator_ensure(username="organiser", password="a long organiser pass")
    log_in(client, "organiser", "a long organiser pass")
    return client


def _inline_management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_organiser_adds_an_agenda_item_through_the_workshop_form(organiser_client):
    workshop = make_workshop(join_code="ADMNA", title="Admin test")
    chair = make_person(workshop=workshop, name="Prof Chair", role="chair")
    data = {
        "title": "Admin test",
        "subtitle": "",
        "date": "2026-12-03",
        "start_time": "14:00",
        "venue": "Room 1",
        "join_code": "ADMNA",
        "description": "",
        "pre_reading": "",
        **_inline_management("agenda_items", 1),
        "agenda_items-0-position": "1",
        "agenda_items-0-kind": "welcome",
        "agenda_items-0-minutes": "5",
        "agenda_items-0-title": "Welcome and introductions",
        "agenda_items-0-description": "The chair opens.",
        "agenda_items-0-leads": [str(chair.pk)],
    }

    response = organiser_client.post(f"/admin/workshop/workshop/{workshop.pk}/change/", data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    item = AgendaItem.objects.get(workshop=workshop)
    assert (item.title, item.minutes, list(item.leads.all())) == (
        "Welcome and introductions",
        5,
        [chair],
    )


def test_organiser_adds_a_finding_through_the_theme_form(organiser_client):
    workshop = make_workshop(join_code="ADMNB")
    report = make_report(workshop=workshop)
    theme = make_theme(workshop=workshop)
    data = {
        "workshop": str(workshop.pk),
        "title": theme.title,
        "position": "0",
        "description": "",
        **_inline_management("findings", 1),
        "findings-0-position": "0",
        "findings-0-text": "Practices joined for the incentives.",
        "findings-0-report": str(report.pk),
        "findings-0-location": "section 4",
    }

    response = organiser_client.post(f"/admin/evidence/theme/{theme.pk}/change/", data)

    assert response.status_code == 302
    finding = Finding.objects.get(theme=theme)
    assert (finding.text, finding.report, finding.location) == (
        "Practices joined for the incentives.",
        report,
        "section 4",
    )


def test_finding_cannot_cite_another_workshops_report(organiser_client):
    workshop = make_workshop(join_code="ADMNC")
    theme = make_theme(workshop=workshop)
    foreign = make_report(workshop=make_workshop(join_code="ADMND"))
    data = {
        "workshop": str(workshop.pk),
        "title": theme.title,
        "position": "0",
        "description": "",
        **_inline_management("findings", 1),
        "findings-0-position": "0",
        "findings-0-text": "Forged citation.",
        "findings-0-report": str(foreign.pk),
        "findings-0-location": "",
    }

    response = organiser_client.post(f"/admin/evidence/theme/{theme.pk}/change/", data)

    assert response.status_code == 200
    assert Finding.objects.count() == 0


def test_admin_refuses_a_confusable_join_code(organiser_client):
    data = {
        "title": "New",
        "date": "2026-12-03",
        "start_time": "14:00",
        "join_code": "PC0L1",
        **_inline_management("agenda_items", 0),
    }
    response = organiser_client.post("/admin/workshop/workshop/add/", data)
    assert response.status_code == 200
    assert "without O, I or L" in response.content.decode()
    assert Workshop.objects.count() == 0


def test_admin_add_form_offers_a_fresh_join_code(organiser_client):
    response = organiser_client.get("/admin/workshop/workshop/add/")
    assert response.status_code == 200
    initial = response.context["adminform"].form.initial["join_code"]
    assert len(initial) == 5


@pytest.mark.parametrize(
    "url",
    [
        "/admin/workshop/workshop/",
        "/admin/evidence/theme/",
        "/admin/evidence/report/",
        "/admin/panel/person/",
    ],
)
def test_admin_lists_render_with_demo_content(organiser_client, demo_workshop, url):
    assert organiser_client.get(url).status_code == 200


def test_admin_change_pages_render_with_demo_content(organiser_client, demo_workshop):
    theme = demo_workshop.themes.first()
    for url in (
        f"/admin/workshop/workshop/{demo_workshop.pk}/change/",
        f"/admin/evidence/theme/{theme.pk}/change/",
        f"/admin/panel/person/{demo_workshop.people.first().pk}/change/",
    ):
        response = organiser_client.get(url)
        assert response.status_code == 200, url
    assert (
        "/j/PCN25/"
        in organiser_client.get(
            f"/admin/workshop/workshop/{demo_workshop.pk}/change/"
        ).content.decode()
    )


def test_every_content_field_has_help_text():
    from evidence.models import Report, Theme
    from panel.models import Person

    missing = [
        f"{model.__name__}.{field.name}"
        for model in (Workshop, AgendaItem, Person, Report, Theme, Finding)
        for field in model._meta.get_fields()
        if field.concrete
        and not field.auto_created
        and field.editable
        and field.name not in {"created_at", "updated_at"}
        and not field.help_text
    ]
    assert missing == []


def test_non_staff_cannot_reach_admin(client, db):
    get_user_model().objects.create_user("attendee", password="x" * 12)
    client.force_login(get_user_model().objects.get(username="attendee"))
    assert client.get("/admin/workshop/workshop/").status_code == 302


def test_workshop_view_on_site_is_the_phone_page(db):
    workshop = make_workshop(join_code="VIEWS", date=datetime.date(2026, 1, 1))
    assert workshop.get_absolute_url() == "/j/VIEWS/"


def test_theme_renamed_in_admin_during_an_open_vote_is_what_a_phone_is_sent(organiser_client):
    from voting.services import poll_open
    from workshop.live.phone_state import phone_state
    from workshop.render import panel_cache, phone_cache

    # Row ids repeat between tests that roll back: start from empty render caches.
    phone_cache.clear(), panel_cache.clear()
    workshop = make_workshop(join_code="ADMNE")
    theme = make_theme(workshop=workshop, title="Old name")
    make_theme(workshop=workshop, title="Other", position=1)
    poll_open(workshop=workshop)
    assert "Old name" in phone_state(workshop_id=workshop.pk, attendee_id=None).variants[""]
    data = {
        "workshop": str(workshop.pk),
        "title": "New name",
        "position": "0",
        "description": "",
        **_inline_management("findings", 0),
    }

    response = organiser_client.post(f"/admin/evidence/theme/{theme.pk}/change/", data)

    assert response.status_code == 302
    card = phone_state(workshop_id=workshop.pk, attendee_id=None).variants[""]
    assert "New name" in card and "Old name" not in card


def test_new_finding_row_offers_the_position_after_the_last(organiser_client):
    workshop = make_workshop(join_code="ADMNF")
    report = make_report(workshop=workshop)
    theme = make_theme(workshop=workshop)
    for position in (0, 1, 4):
        Finding.objects.create(theme=theme, report=report, text="A finding.", position=position)

    response = organiser_client.get(f"/admin/evidence/theme/{theme.pk}/change/")

    formset = response.context["inline_admin_formsets"][0].formset
    assert [form.initial.get("position") for form in formset.extra_forms] == [5]
    assert formset.empty_form.initial["position"] == 6


def test_polls_list_does_not_repeat_the_question(organiser_client):
    from voting.services import poll_open

    workshop = make_workshop(join_code="ADMNG")
    make_theme(workshop=workshop)
    make_theme(workshop=workshop, title="Other", position=1)
    poll_open(workshop=workshop)

    html = organiser_client.get("/admin/voting/poll/").content.decode()

    cells = re.findall(r'class="field-[^"]*">(.*?)</t[dh]>', html)
    assert cells and not [c for c in cells if "Which theme should the panel discuss?" in c]
    assert "ADMNG" in cells


def test_workshop_change_page_links_to_the_report(organiser_client, demo_workshop):
    body = organiser_client.get(
        f"/admin/workshop/workshop/{demo_workshop.pk}/change/"
    ).content.decode()
    assert 'href="/s/PCN25/report/"' in body


def test_console_links_to_the_report(organiser_client, demo_workshop):
    body = organiser_client.get("/s/PCN25/console/").content.decode()
    assert 'href="/s/PCN25/report/"' in body
