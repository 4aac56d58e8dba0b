import re

from django.template import engines
from django.template.loader import render_to_string

from tests.factories import make_attendee, make_voting_workshop
from voting.selectors import poll_tally
from voting.services import ballot_cast, poll_close, poll_decide, poll_open, poll_reveal
from workshop.render import (
    console_tally_html,
    phone_html,
    screen_tally_html,
    templates_compile,
)
from workshop.snapshot import live_snapshot


def test_the_server_compiles_the_projects_templates_at_start_up():
    names = templates_compile()

    # Every template of the project's own apps and top-level folder, and none of Django's.
    assert {"base.html", "voting/phone/live.html", "workshop/screen/screen.html"} <= set(names)
    assert "voting/console/tally.html" in names and "panel/console/panel.html" in names
    assert not [n for n in names if n.startswith("admin/")]
    # They are in the cached loader, so no push compiles one in the middle of a vote.
    (loader,) = engines["django"].engine.template_loaders
    assert set(names) <= set(loader.get_template_cache)


def _decided_poll_with_ballots():
    """A decided vote on three themes, 2, 1 and 0 votes, the first theme's title full of markup."""
    workshop = make_voting_workshop(themes=3)
    workshop.themes.filter(position=0).update(title="Rules & <b>roles</b>")
    poll = poll_open(workshop=workshop)
    themes = list(poll.options.order_by("position"))
    for n, theme in enumerate([themes[0], themes[0], themes[1]]):
        attendee = make_attendee(workshop=workshop)
        ballot_cast(poll_id=poll.pk, attendee_id=attendee.pk, theme_id=theme.pk, key=f"k{n}")
    poll_close(poll=poll)
    poll_reveal(poll=poll)
    poll = poll_decide(poll=poll)
    return workshop, poll, themes


def _bars(html: str) -> str:
    (bars,) = re.findall(r'<ol class="bars.*?</ol>', html, flags=re.S)
    return bars


def test_phone_console_and_projector_draw_their_bars_with_the_one_results_partial(db):
    workshop, poll, themes = _decided_poll_with_ballots()
    tally = poll_tally(poll_id=poll.pk)
    snap = live_snapshot(workshop=workshop)

    def shared(**context):
        return _bars(render_to_string("voting/results.html#bars", {"tally": tally, **context}))

    phone = _bars(phone_html(snap, choice=None))
    console = _bars(console_tally_html(tally=tally, phones=3))
    projector = _bars(screen_tally_html(tally=tally, poll=poll))

    assert phone == shared(won=themes[0].pk, labelled=True)
    assert console == shared(size="compact", leaders=tally.leaders)
    assert projector == shared(size="large", won=themes[0].pk)


def test_results_bars_differ_by_surface_only_in_size_count_style_and_marks(db):
    workshop, poll, _ = _decided_poll_with_ballots()
    tally = poll_tally(poll_id=poll.pk)
    phone = _bars(phone_html(live_snapshot(workshop=workshop), choice=None))
    console = _bars(console_tally_html(tally=tally, phones=3))
    projector = _bars(screen_tally_html(tally=tally, poll=poll))

    def first_row(bars):
        return re.sub(r"\s+", " ", bars.split("<li ")[1]).strip()

    track = (
        '<span class="bar__track"><svg class="bar__svg" aria-hidden="true" focusable="false">'
        '<rect class="bar__fill" width="67%" height="100%"/></svg></span>'
    )
    label = '<span class="bar__label">Rules &amp; &lt;b&gt;roles&lt;/b&gt;</span>'
    assert phone.startswith('<ol class="bars" aria-label="Results: 3 votes">')
    assert console.startswith('<ol class="bars bars--compact">\n')
    assert projector.startswith('<ol class="bars">\n')
    assert first_row(phone) == (
        f'class="bar bar--won"> {label} {track} <span class="bar__value">2 · 67%</span> </li>'
    )
    assert first_row(console) == (
        f'class="bar bar--lead"> {label} {track} <span class="bar__value">2 · 67%</span> </li>'
    )
    assert first_row(projector) == (
        f'class="bar bar--won"> {label} {track} '
        '<span class="bar__value">2 <small>67%</small></span> </li>'
    )


def test_results_bars_are_left_out_without_a_tally(db):
    assert render_to_string("voting/results.html#bars", {"tally": None}).strip() == ""
    assert "bars" not in console_tally_html(tally=None, phones=0)


def test_a_closed_vote_nobody_voted_in_is_not_a_tie_on_console_or_projector(db):
    workshop = make_voting_workshop()
    poll = poll_open(workshop=workshop, tie_rule="runoff")
    poll_close(poll=poll)
    poll_reveal(poll=poll)

    snap = live_snapshot(workshop_id=workshop.pk)

    assert snap.tied == []
    console = render_to_string(
        "workshop/console/console.html#vote", {"snap": snap, "phones": None, "csrf_token": ""}
    )
    assert "No ballots were cast" in console and "Tied" not in console
    assert "Start the run-off" not in console
    assert console.count('name="action" value="poll_decide"') == 3
    screen = render_to_string("workshop/screen/screen.html#main", {"snap": snap, "mode": "vote"})
    assert "A tie" not in screen
