import pytest
from django.core.exceptions import ValidationError

from tests.factories import make_voting_workshop
from workshop.models import LiveState
from workshop.services import screen_show, stage_goto, stage_next, stage_previous


@pytest.fixture
def workshop(db):
    return make_voting_workshop()


def _current(workshop):
    return LiveState.objects.get(workshop=workshop).current_item.title


def test_stage_next_starts_at_the_first_item_and_steps_forward(workshop):
    stage_next(workshop=workshop)
    assert _current(workshop) == "Item 1"
    stage_next(workshop=workshop)
    assert _current(workshop) == "Item 2"


def test_stage_next_refuses_past_the_last_item(workshop):
    for _ in range(3):
        stage_next(workshop=workshop)
    with pytest.raises(ValidationError, match="last agenda item"):
        stage_next(workshop=workshop)
    assert _current(workshop) == "Item 3"


def test_stage_previous_steps_back_and_refuses_before_the_first(workshop):
    stage_next(workshop=workshop)
    stage_next(workshop=workshop)
    stage_previous(workshop=workshop)
    assert _current(workshop) == "Item 1"
    with pytest.raises(ValidationError, match="first agenda item"):
        stage_previous(workshop=workshop)


def test_stage_goto_jumps_and_restarts_the_countdown(workshop):
    item = workshop.agenda_items.get(title="Item 3")
    state = stage_goto(workshop=workshop, item_id=item.pk)
    assert (state.current_item, state.item_started_at is not None) == (item, True)


def test_stage_goto_refuses_another_workshops_item(workshop):
    foreign = make_voting_workshop().agenda_items.first()
    with pytest.raises(ValidationError, match="not part of this workshop"):
        stage_goto(workshop=workshop, item_id=foreign.pk)
    assert not LiveState.objects.filter(workshop=workshop, current_item__isnull=False).exists()


def test_every_live_change_bumps_the_version(workshop):
    stage_next(workshop=workshop)
    v1 = LiveState.objects.get(workshop=workshop).version
    screen_show(workshop=workshop, screen="join")
    assert LiveState.objects.get(workshop=workshop).version == v1 + 1


def test_screen_show_refuses_an_unknown_choice(workshop):
    with pytest.raises(ValidationError, match="Choose what the screen shows"):
        screen_show(workshop=workshop, screen="fireworks")
