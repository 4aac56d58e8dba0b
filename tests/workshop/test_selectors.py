import datetime

from tests.factories import make_agenda_item, make_person, make_workshop
from workshop.selectors import agenda_schedule, workshop_by_code


def test_workshop_by_code_ignores_case_and_spaces(db):
    workshop = make_workshop(join_code="PCN25")
    assert workshop_by_code(" pcn 25") == workshop


def test_workshop_by_code_unknown_is_none(db):
    make_workshop(join_code="PCN25")
    assert workshop_by_code("PCN26") is None


def test_agenda_schedule_counts_times_from_the_start(db):
    workshop = make_workshop(start_time=datetime.time(13, 50))
    make_agenda_item(workshop=workshop, position=2, title="Second", minutes=25)
    make_agenda_item(workshop=workshop, position=1, title="First", minutes=15)

    schedule = agenda_schedule(workshop=workshop)

    assert [(s.item.title, s.starts, s.ends) for s in schedule] == [
        ("First", datetime.time(13, 50), datetime.time(14, 5)),
        ("Second", datetime.time(14, 5), datetime.time(14, 30)),
    ]


def test_agenda_schedule_query_count_is_fixed(db, django_assert_num_queries):
    workshop = make_workshop()
    for i in range(6):
        item = make_agenda_item(workshop=workshop, position=i)
        item.leads.add(make_person(workshop=workshop, name=f"Person {i}"))

    with django_assert_num_queries(2):
        schedule = agenda_schedule(workshop=workshop)
        assert [len(s.item.leads.all()) for s in schedule] == [1] * 6
