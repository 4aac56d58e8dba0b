"""Workshop content kept as a TOML file: read, checked, and handed to services.workshop_load.

The file holds one ``[workshop]`` table and arrays of tables, each in the order the app shows:

- ``[workshop]``: join_code, title, date (2026-12-03), start_time (14:00:00); subtitle,
  venue, description, pre_reading.
- ``[[people]]``: key, name, role (chair, presenter, panellist); job_title, organisation,
  perspective, bio.
- ``[[reports]]``: key, title; short_title, authors, publisher, year, published, url, doi,
  summary, key_points (a list of strings).
- ``[[themes]]``: key, title; description.
- ``[[findings]]``: theme and report (keys of entries above), text; location.
- ``[[agenda]]``: title, kind (welcome, presentation, vote, panel, questions, break, close,
  other), minutes; description, leads (a list of people's keys).

The keys before the semicolon are required; the others are empty when left out. A ``key``
exists only inside the file, so that findings and agenda items can refer to other entries.

``invented`` (in ``[workshop]``, ``[[people]]`` and ``[[agenda]]``) lists the keys of that
entry whose values are made up for a demo rather than taken from the source material (a date,
a venue, who presents which theme). A made-up text says so itself, ending in a label such as
"(demo venue)"; the checker refuses one that does not. The other values (a date, a time,
minutes, leads) are labelled by the pages, as long as they still hold the file's value
(``invented_still``, the template tag ``demo_label``).
Each value is checked against the model field it fills (type, length, choices, join code,
URL) and every reference is resolved before anything is written: a file that fails any check
is refused as a whole, with a ContentError naming the file and the entry at fault.
"""

import datetime
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import models

from evidence.models import Finding, Report, Theme
from panel.models import Person
from workshop.models import AgendaItem, Workshop

DEMO_PATH = Path(__file__).resolve().parent / "demo" / "pcn.toml"


class ContentError(ValueError):
    """The content file cannot be loaded; the message says where and why."""


@dataclass(frozen=True)
class WorkshopContent:
    """A checked content file. Entries are dicts of model field values, plus ``key`` on
    people and reports, a report key on findings, and people's keys in agenda ``leads``;
    each theme holds its findings in order."""

    workshop: dict
    people: list[dict]
    reports: list[dict]
    themes: list[dict]
    agenda: list[dict]
    # What the file made up: {(section, name or title): {key: value as in the file}}, with
    # leads as people's names. See the module's docstring.
    invented: dict[tuple[str, str], dict] = field(default_factory=dict)

    @property
    def join_code(self) -> str:
        return self.workshop["join_code"]


REQUIRED = object()

# Per section: the model it fills and, per key, the Python type tomllib gives for it and its
# default (REQUIRED: none). Keys named like a model field are checked by that field too.
_SECTIONS: dict[str, tuple[type[models.Model], dict[str, tuple[type, object]]]] = {
    "workshop": (
        Workshop,
        {
            "join_code": (str, REQUIRED),
            "title": (str, REQUIRED),
            "subtitle": (str, ""),
            "date": (datetime.date, REQUIRED),
            "start_time": (datetime.time, REQUIRED),
            "venue": (str, ""),
            "description": (str, ""),
            "pre_reading": (str, ""),
            "invented": (list, []),
        },
    ),
    "people": (
        Person,
        {
            "key": (str, REQUIRED),
            "name": (str, REQUIRED),
            "role": (str, REQUIRED),
            "job_title": (str, ""),
            "organisation": (str, ""),
            "perspective": (str, ""),
            "bio": (str, ""),
            "invented": (list, []),
        },
    ),
    "reports": (
        Report,
        {
            "key": (str, REQUIRED),
            "title": (str, REQUIRED),
            "short_title": (str, ""),
            "authors": (str, ""),
            "publisher": (str, ""),
            "year": (int, None),
            "published": (str, ""),
            "url": (str, ""),
            "doi": (str, ""),
            "summary": (str, ""),
            "key_points": (list, []),
        },
    ),
    "themes": (
        Theme,
        {
            "key": (str, REQUIRED),
            "title": (str, REQUIRED),
            "description": (str, ""),
        },
    ),
    "findings": (
        Finding,
        {
            "theme": (str, REQUIRED),
            "report": (str, REQUIRED),
            "text": (str, REQUIRED),
            "location": (str, ""),
        },
    ),
    "agenda": (
        AgendaItem,
        {
            "title": (str, REQUIRED),
            "kind": (str, REQUIRED),
            "minutes": (int, REQUIRED),
            "description": (str, ""),
            "leads": (list, []),
            "invented": (list, []),
        },
    ),
}

_TYPE_NAMES = {
    str: "text in quotes",
    int: "a whole number",
    list: "a list in square brackets",
    datetime.date: "a date such as 2026-12-03",
    datetime.time: "a time such as 14:00:00",
}
_VALUE_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a decimal number",
    bool: "true or false",
    list: "a list",
    dict: "a table",
    datetime.date: "a date",
    datetime.time: "a time",
    datetime.datetime: "a date and time",
}

# Keys that refer to another entry (checked against the file) rather than fill a model field.
_REFERENCES = {"key", "theme", "report", "leads"}

# How a made-up text labels itself, as the demo's venue does: "Main hall (demo venue)".
DEMO_MARK = "(demo"


def content_read(*, path: Path) -> WorkshopContent:
    """Read and check a content file. Raises ContentError; nothing is written here."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError as e:
        raise ContentError(f"{path}: no such file.") from e
    except tomllib.TOMLDecodeError as e:
        raise ContentError(f"{path}: not valid TOML: {e}.") from e
    try:
        return content_check(data=data)
    except ContentError as e:
        raise ContentError(f"{path}: {e}") from e


def content_check(*, data: dict) -> WorkshopContent:
    """Check parsed TOML and shape it for workshop_load. Raises ContentError."""
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise ContentError(
            f"unknown table {_quote(unknown[0])}; the file may hold {_listing(_SECTIONS)}."
        )
    if not isinstance(data.get("workshop"), dict):
        raise ContentError("there is no [workshop] table; it is required.")
    workshop = _entry("workshop", data["workshop"], "[workshop]")
    invented = {("workshop", workshop["title"]): _invented("workshop", workshop, "[workshop]")}

    sections = {}
    for name in ("people", "reports", "themes", "findings", "agenda"):
        raw = data.get(name, [])
        if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
            raise ContentError(f"{name} must be entries written as [[{name}]] tables.")
        sections[name] = [
            _entry(name, item, _label(name, number, item))
            for number, item in enumerate(raw, start=1)
        ]

    people = _keyed("people", sections["people"], unique="name")
    reports = _keyed("reports", sections["reports"], unique="title")
    themes = _keyed("themes", sections["themes"], unique="title")
    for theme in themes.values():
        theme["findings"] = []

    for number, finding in enumerate(sections["findings"], start=1):
        label = _label("findings", number, finding)
        _refer(label, "theme", finding["theme"], themes)
        _refer(label, "report", finding["report"], reports)
        themes[finding.pop("theme")]["findings"].append(finding)

    for number, item in enumerate(sections["agenda"], start=1):
        label = _label("agenda", number, item)
        for lead in item["leads"]:
            _refer(label, "leads", lead, people)
        if len(set(item["leads"])) != len(item["leads"]):
            raise ContentError(f"{label}: leads names someone twice.")
        made_up = _invented("agenda", item, label)
        if "leads" in made_up:
            made_up["leads"] = [people[key]["name"] for key in item["leads"]]
        invented[("agenda", item["title"])] = made_up
    for number, person in enumerate(sections["people"], start=1):
        invented[("people", person["name"])] = _invented(
            "people", person, _label("people", number, person)
        )

    return WorkshopContent(
        workshop=workshop,
        people=list(people.values()),
        reports=list(reports.values()),
        themes=list(themes.values()),
        agenda=sections["agenda"],
        invented={where: values for where, values in invented.items() if values},
    )


def _invented(section: str, entry: dict, label: str) -> dict:
    """Take the entry's `invented` list out of it: {key: value} of the keys it names, each a
    key of the entry; a made-up text must carry its own label (DEMO_MARK)."""
    names = entry.pop("invented", [])
    spec = _SECTIONS[section][1]
    made_up = {}
    for name in names:
        if name not in spec or name in {"key", "invented"}:
            raise ContentError(
                f"{label}: invented names {_quote(name)}, which is not one of its keys."
            )
        value = entry[name]
        if isinstance(value, str) and DEMO_MARK not in value:
            raise ContentError(
                f"{label}: {name} is invented, so its text must say so, with a label such "
                f'as "{DEMO_MARK} {name})" (the demo\'s venue reads "Main hall (demo venue)").'
            )
        made_up[name] = list(value) if isinstance(value, list) else value
    return made_up


@lru_cache(maxsize=1)
def demo_content() -> WorkshopContent:
    """The demo file, read and checked once (it ships with the code)."""
    return content_read(path=DEMO_PATH)


def invented_still(obj: models.Model, name: str) -> bool:
    """Whether `obj.<name>` (a workshop's, a person's or an agenda item's) still holds a value
    the demo made up: the demo file flags it as invented and the row holds the file's value.
    An organiser's own value is never labelled. Texts carry their label themselves."""
    if isinstance(obj, Workshop):
        where = ("workshop", obj.title)
    elif isinstance(obj, Person):
        where = ("people", obj.name)
    elif isinstance(obj, AgendaItem):
        where = ("agenda", obj.title)
    else:
        return False
    values = demo_content().invented.get(where, {})
    if name not in values:
        return False
    if name == "leads":
        return sorted(p.name for p in obj.leads.all()) == sorted(values["leads"])
    return getattr(obj, name) == values[name]


def _entry(section: str, raw: dict, label: str) -> dict:
    """One table's values, complete with defaults, each checked against its model field."""
    model, spec = _SECTIONS[section]
    unknown = sorted(set(raw) - set(spec))
    if unknown:
        raise ContentError(
            f"{label}: unknown key {_quote(unknown[0])}; it may hold {_listing(spec)}."
        )
    entry = {}
    for name, (kind, default) in spec.items():
        if name not in raw:
            if default is REQUIRED:
                raise ContentError(f"{label}: the required key {_quote(name)} is missing.")
            entry[name] = list(default) if isinstance(default, list) else default
            continue
        value = raw[name]
        if type(value) is not kind:
            raise ContentError(
                f"{label}: {name} must be {_TYPE_NAMES[kind]}, not {_describe(value)}."
            )
        if kind is list:
            if not all(type(item) is str for item in value):
                raise ContentError(f"{label}: {name} must be a list of texts in quotes.")
            if name == "key_points" and any("\n" in item for item in value):
                raise ContentError(f"{label}: each of the key_points must be one line.")
        if name == "key" and not value.strip():
            raise ContentError(f"{label}: key must not be empty.")
        if name not in _REFERENCES and kind is not list:
            _field_check(model, name, value, label)
        entry[name] = value
    if section == "reports":
        _field_check(model, "key_points", "\n".join(entry["key_points"]), label)
    return entry


def _field_check(model: type[models.Model], name: str, value, label: str) -> None:
    field = model._meta.get_field(name)
    # In the file, a wrapped line without its closing backslash becomes a line break.
    if isinstance(field, models.CharField) and "\n" in value:
        raise ContentError(
            f"{label}: {name} must be one line; end each wrapped line with a backslash."
        )
    try:
        field.clean(value, None)
    except ValidationError as e:
        message = " ".join(e.messages)
        if field.choices:
            message += f" The choices are {_listing(str(choice) for choice, _ in field.choices)}."
        raise ContentError(f"{label}: {name}: {message}") from e


def _keyed(section: str, entries: list[dict], *, unique: str) -> dict[str, dict]:
    """Entries by key. Keys must differ, and so must the field workshop_load matches rows
    by (people's names, reports' and themes' titles), or two entries would fill one row."""
    by_key: dict[str, dict] = {}
    seen: dict[str, dict[str, int]] = {"key": {}, unique: {}}
    for number, entry in enumerate(entries, start=1):
        for name, numbers in seen.items():
            if entry[name] in numbers:
                raise ContentError(
                    f"{_label(section, number, entry)}: {name} {_quote(entry[name])} is also "
                    f"that of [[{section}]] entry {numbers[entry[name]]}; each must be different."
                )
            numbers[entry[name]] = number
        by_key[entry["key"]] = entry
    return by_key


def _refer(label: str, name: str, key: str, known: dict[str, dict]) -> None:
    if key not in known:
        section = {"theme": "themes", "report": "reports", "leads": "people"}[name]
        keys = f"the keys are {_listing(known)}" if known else f"the file has no [[{section}]]"
        raise ContentError(
            f"{label}: {name} refers to {_quote(key)}, which is not the key of any "
            f"[[{section}]] entry ({keys})."
        )


def _label(section: str, number: int, raw: dict) -> str:
    """How an entry is named in messages: its table, its number and what identifies it."""
    label = f"[[{section}]] entry {number}"
    for name in ("key", "title", "text"):
        value = raw.get(name)
        if type(value) is str and value:
            short = value if len(value) <= 40 else value[:39] + "…"
            return f"{label} ({name} {_quote(short)})"
    return label


def _quote(value: str) -> str:
    return f'"{value}"'


def _listing(names) -> str:
    return ", ".join(names)


def _describe(value) -> str:
    shown = _quote(value) if type(value) is str else repr(value)
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    return f"{_VALUE_NAMES.get(type(value), type(value).__name__)} ({shown})"
