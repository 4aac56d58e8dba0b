"""share_text (workshop/live/consumers/base.py): the sockets of one workshop hold its text
once, each with its own instance of the row."""

from workshop.live.consumers.base import share_text
from workshop.selectors import workshop_by_code


def test_rows_read_for_two_sockets_share_their_text_but_not_the_instance(live_workshop):
    live_workshop.description = "Before the session, read the briefing. " * 20
    live_workshop.save(update_fields=["description"])
    first = workshop_by_code(live_workshop.join_code)
    second = workshop_by_code(live_workshop.join_code)
    assert first.description == second.description
    assert first.description is not second.description  # each read makes its own strings

    share_text(first)
    share_text(second)

    assert second.description is first.description
    assert second.title is first.title
    assert second is not first
    assert second.pk == first.pk and second.join_code == live_workshop.join_code


def test_a_row_whose_text_changed_keeps_it_and_is_shared_from_then_on(live_workshop):
    before = workshop_by_code(live_workshop.join_code)
    share_text(before)
    live_workshop.description = "A new description, " + before.description
    live_workshop.save(update_fields=["description"])

    after = workshop_by_code(live_workshop.join_code)
    share_text(after)
    later = workshop_by_code(live_workshop.join_code)
    share_text(later)

    assert after.description == live_workshop.description != before.description
    assert later.description is after.description
    assert after.title is before.title  # unchanged text is still shared
