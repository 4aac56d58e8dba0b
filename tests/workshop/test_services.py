from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evidence.models import Finding, Report, Theme
from panel.models import Person
from tests.factories import make_theme, make_workshop
from workshop.codes import join_code_validate
from workshop.content import DEMO_PATH, content_read
from workshop.models import AgendaItem, Workshop
from workshop.services import (
    FACILITATORS_GROUP,
    facilitator_ensure,
    join_code_unused,
    workshop_load,
)


def _snapshot():
    return {
        model.__name__: sorted(model.objects.values_list(flat=False).order_by("pk"))
        for model in (Workshop, AgendaItem, Person, Report, Theme, Finding)
    }


def test_workshop_load_creates_the_demo_workshop(db):
    workshop = workshop_load(content=content_read(path=DEMO_PATH))

    assert workshop.join_code == "PCN25"
    assert workshop.people.count() == 9
    assert workshop.reports.count() == 2
    assert list(workshop.themes.values_list("title", flat=True)) == [
        "Policy and history",
        "Leadership, management and governance",
        "System engagement",
    ]
    assert all(3 <= t.findings.count() <= 5 for t in workshop.themes.all())
    assert sum(workshop.agenda_items.values_list("minutes", flat=True)) == 90


def test_workshop_load_twice_changes_nothing(db):
    workshop_load(content=content_read(path=DEMO_PATH))
    before = _snapshot()

    with CaptureQueriesContext(connection) as queries:
        workshop_load(content=content_read(path=DEMO_PATH))

    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))
    ]
    assert writes == []
    assert _snapshot() == before


def test_workshop_load_every_finding_cites_a_report_of_the_same_workshop(demo_workshop):
    reports = set(demo_workshop.reports.values_list("pk", flat=True))
    cited = set(
        Finding.objects.filter(theme__workshop=demo_workshop).values_list("report", flat=True)
    )
    assert cited == reports


def test_join_code_unused_is_valid_and_free(db):
    taken = make_workshop(join_code="ABCDE")
    code = join_code_unused()
    join_code_validate(code)
    assert code != taken.join_code


def test_facilitator_ensure_creates_staff_in_group_with_run_permission(db):
    login = facilitator_ensure(username="fac")

    user = get_user_model().objects.get(username="fac")
    assert login.created is True
    assert user.is_staff is True
    assert user.check_password(login.password)
    assert user.groups.filter(name=FACILITATORS_GROUP).exists()
    assert user.has_perm("workshop.run_workshop")
    assert user.has_perm("evidence.add_finding")


def test_facilitator_ensure_keeps_an_existing_password(db):
    first = facilitator_ensure(username="fac", password="correct horse battery")
    again = facilitator_ensure(username="fac")

    user = get_user_model().objects.get(username="fac")
    assert (first.created, again.created, again.password) == (True, False, None)
    assert user.check_password("correct horse battery")


def test_content_save_moves_the_live_and_panel_versions_on_once_per_workshop(db):
    from workshop.models import LiveState
    from workshop.services import content_save

    workshop = make_workshop(join_code="CNTNT")
    themes = [make_theme(workshop=workshop, title=f"Theme {n}", position=n) for n in range(2)]
    LiveState.objects.create(workshop=workshop, version=3, panel_version=2)
    themes[0].title = "Renamed"

    content_save(saved=themes, deleted=[themes[1]])

    state = LiveState.objects.get(workshop=workshop)
    assert (state.version, state.panel_version) == (4, 3)
    assert list(workshop.themes.values_list("title", flat=True)) == ["Renamed"]


def test_content_save_leaves_a_panel_without_questions_at_version_0(db):
    from workshop.models import LiveState
    from workshop.services import content_save

    workshop = make_workshop(join_code="CNTNU")
    workshop.venue = "Room 2"

    content_save(saved=[workshop])

    state = LiveState.objects.get(workshop=workshop)
    assert (state.version, state.panel_version) == (1, 0)
