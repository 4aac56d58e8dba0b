"""manage.py load_demo: the demo file goes in whole or, if it has a mistake, not at all."""

import io

import pytest
from django.core.management import CommandError, call_command

from evidence.models import Finding, Report, Theme
from panel.models import Person
from workshop.content import DEMO_PATH
from workshop.models import AgendaItem, Workshop

CONTENT_MODELS = (Workshop, AgendaItem, Person, Report, Theme, Finding)


def _rows():
    return {
        model.__name__: list(model.objects.order_by("pk").values()) for model in CONTENT_MODELS
    } | {"leads": list(AgendaItem.leads.through.objects.order_by("pk").values())}


def _load_demo(*args) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def _broken_demo(tmp_path):
    """The demo with a new title, which a partial load would write, and a finding after it
    that refers to a theme the file does not have."""
    text = DEMO_PATH.read_text()
    text = text.replace(
        'venue = "Main hall (demo venue)"', 'venue = "Another hall (demo venue)"', 1
    )
    text = text.replace('theme = "system"', 'theme = "systems"', 1)
    path = tmp_path / "broken.toml"
    path.write_text(text)
    return path


def test_load_demo_loads_the_demo_workshop(db):
    output = _load_demo()

    workshop = Workshop.objects.get(join_code="PCN25")
    assert output.startswith("Loaded workshop Policy into practice")
    assert workshop.venue == "Main hall (demo venue)"
    assert [model.objects.count() for model in CONTENT_MODELS] == [1, 8, 9, 2, 3, 13]


def test_load_demo_twice_changes_nothing(db):
    _load_demo()
    before = _rows()

    _load_demo()

    assert _rows() == before


def test_load_demo_restores_edited_content(db):
    _load_demo()
    Workshop.objects.update(venue="Edited in admin")
    Finding.objects.filter(position=0).update(text="Edited in admin")

    _load_demo()

    assert Workshop.objects.get().venue == "Main hall (demo venue)"
    assert not Finding.objects.filter(text="Edited in admin").exists()


def test_load_demo_if_missing_leaves_an_existing_workshop_alone(db):
    _load_demo()
    Workshop.objects.update(venue="Edited in admin")

    output = _load_demo("--if-missing")

    assert output == "Workshop PCN25 already present; left unchanged.\n"
    assert Workshop.objects.get().venue == "Edited in admin"


def test_load_demo_refuses_a_file_with_a_mistake_and_changes_nothing(db, tmp_path):
    _load_demo()
    before = _rows()
    path = _broken_demo(tmp_path)

    with pytest.raises(CommandError) as refused:
        _load_demo("--file", str(path))

    assert str(refused.value) == (
        f"Nothing loaded. {path}: "
        '[[findings]] entry 10 (text "Networks were caught between local auto…"): '
        'theme refers to "systems", which is not the key of any [[themes]] entry '
        "(the keys are policy, leadership, system)."
    )
    assert _rows() == before


def test_load_demo_refuses_a_file_with_a_mistake_into_an_empty_database(db, tmp_path):
    path = _broken_demo(tmp_path)

    with pytest.raises(CommandError):
        _load_demo("--file", str(path))

    assert [model.objects.count() for model in CONTENT_MODELS] == [0, 0, 0, 0, 0, 0]


def test_load_demo_if_missing_still_refuses_a_file_with_a_mistake(db, tmp_path):
    path = _broken_demo(tmp_path)

    with pytest.raises(CommandError):
        _load_demo("--if-missing", "--file", str(path))

    assert Workshop.objects.count() == 0
