"""Content files: the demo file reads whole, and a file with a mistake is refused by name."""

import datetime

import pytest

from workshop.content import DEMO_PATH, ContentError, content_read

DEMO_TEXT = DEMO_PATH.read_text()


def _demo_with(tmp_path, old: str, new: str):
    """The demo file with the first `old` replaced by `new`, written to a file of its own."""
    assert old in DEMO_TEXT
    path = tmp_path / "workshop.toml"
    path.write_text(DEMO_TEXT.replace(old, new, 1))
    return path


def test_content_read_gives_the_whole_demo():
    content = content_read(path=DEMO_PATH)

    assert content.join_code == "PCN25"
    assert content.workshop["date"] == datetime.date(2026, 12, 3)
    assert content.workshop["start_time"] == datetime.time(14, 0)
    assert [p["key"] for p in content.people] == [
        "checkland", "hammond", "parkinson", "sidhu", "warwick-giles",
        "milton", "butterworth", "anane", "fisher",
    ]  # fmt: skip
    assert [r["key"] for r in content.reports] == ["brace", "prucomm"]
    assert [len(r["key_points"]) for r in content.reports] == [6, 5]
    assert [(t["key"], len(t["findings"])) for t in content.themes] == [
        ("policy", 4), ("leadership", 5), ("system", 4),
    ]  # fmt: skip
    assert [(a["kind"], a["minutes"]) for a in content.agenda] == [
        ("welcome", 5), ("presentation", 12), ("presentation", 12), ("presentation", 12),
        ("vote", 5), ("panel", 25), ("questions", 15), ("close", 4),
    ]  # fmt: skip
    assert content.agenda[2]["leads"] == ["parkinson", "sidhu"]


def test_content_read_joins_wrapped_lines_and_keeps_paragraphs():
    content = content_read(path=DEMO_PATH)

    title = content.workshop["title"]
    paragraphs = content.workshop["description"].split("\n\n")
    assert title.endswith("Primary Care Networks in the NHS in England")
    assert "\n" not in title
    assert len(paragraphs) == 2
    assert all("\n" not in p and "  " not in p for p in paragraphs)


def test_content_read_fills_keys_left_out_with_empty_values():
    content = content_read(path=DEMO_PATH)

    chair = content.people[0]
    prucomm = content.reports[1]
    assert (chair["job_title"], chair["perspective"]) == ("", "")
    assert (prucomm["authors"], prucomm["doi"]) == ("", "")
    assert content.themes[0]["findings"][0]["location"] == ""


@pytest.mark.parametrize(
    "old, new, message",
    [
        pytest.param(
            "minutes = 5\n", "",
            '[[agenda]] entry 1 (title "Welcome and introductions"): '
            'the required key "minutes" is missing.',
            id="missing-required-key",
        ),
        pytest.param(
            'theme = "system"', 'theme = "systems"',
            '[[findings]] entry 10 (text "Networks were caught between local auto…"): '
            'theme refers to "systems", which is not the key of any [[themes]] entry '
            "(the keys are policy, leadership, system).",
            id="unknown-theme",
        ),
        pytest.param(
            'report = "prucomm"', 'report = "prucom"',
            '[[findings]] entry 4 (text "Policy loads networks with several obje…"): '
            'report refers to "prucom", which is not the key of any [[reports]] entry '
            "(the keys are brace, prucomm).",
            id="unknown-report",
        ),
        pytest.param(
            'leads = ["warwick-giles"]', 'leads = ["warwick"]',
            '[[agenda]] entry 4 (title "Findings: system engagement"): '
            'leads refers to "warwick", which is not the key of any [[people]] entry '
            "(the keys are checkland, hammond, parkinson, sidhu, warwick-giles, milton, "
            "butterworth, anane, fisher).",
            id="unknown-lead",
        ),
        pytest.param(
            'short_title = "BRACE', 'shorttitle = "BRACE',
            '[[reports]] entry 1 (key "brace"): unknown key "shorttitle"; it may hold key, '
            "title, short_title, authors, publisher, year, published, url, doi, summary, "
            "key_points.",
            id="misspelt-key",
        ),
        pytest.param(
            "minutes = 12", 'minutes = "12"',
            '[[agenda]] entry 2 (title "Findings: policy and history"): '
            'minutes must be a whole number, not text ("12").',
            id="text-for-a-number",
        ),
        pytest.param(
            "date = 2026-12-03", 'date = "3 December 2026"',
            '[workshop]: date must be a date such as 2026-12-03, not text ("3 December 2026").',
            id="text-for-a-date",
        ),
        pytest.param(
            'role = "chair"', 'role = "host"',
            '[[people]] entry 1 (key "checkland"): role: Value \'host\' is not a valid choice. '
            "The choices are chair, presenter, panellist.",
            id="unknown-choice",
        ),
        pytest.param(
            'title = "System engagement"', f'title = "{"System engagement " * 8}"',
            '[[themes]] entry 3 (key "system"): title: '
            "Ensure this value has at most 120 characters (it has 144).",
            id="too-long",
        ),
        pytest.param(
            'join_code = "PCN25"', 'join_code = "PCN-25"',
            "[workshop]: join_code: A join code has 4 to 6 characters from A–Z and 2–9, "
            "without O, I or L (they are easily confused with 0 and 1).",
            id="bad-join-code",
        ),
        pytest.param(
            'url = "https://prucomm', 'url = "prucomm',
            '[[reports]] entry 2 (key "prucomm"): url: Enter a valid URL.',
            id="bad-url",
        ),
        pytest.param(
            'key = "sidhu"', 'key = "parkinson"',
            '[[people]] entry 4 (key "parkinson"): key "parkinson" is also that of '
            "[[people]] entry 3; each must be different.",
            id="repeated-key",
        ),
        pytest.param(
            'name = "Dr Manbinder Sidhu"', 'name = "Sarah Parkinson"',
            '[[people]] entry 4 (key "sidhu"): name "Sarah Parkinson" is also that of '
            "[[people]] entry 3; each must be different.",
            id="repeated-name",
        ),
        pytest.param(
            'leads = ["parkinson", "sidhu"]', 'leads = ["parkinson", "parkinson"]',
            '[[agenda]] entry 3 (title "Findings: leadership, management and go…"): '
            "leads names someone twice.",
            id="repeated-lead",
        ),
        pytest.param(
            "Networks in the \\\nNHS", "Networks in the\nNHS",
            "[workshop]: title must be one line; end each wrapped line with a backslash.",
            id="line-break-in-a-one-line-field",
        ),
        pytest.param(
            "[[agenda]]", "[[agendas]]",
            'unknown table "agendas"; the file may hold workshop, people, reports, themes, '
            "findings, agenda.",
            id="unknown-table",
        ),
        pytest.param(
            "date = 2026-12-03", "date = 2026-12-03 14",
            "not valid TOML: Expected newline or end of document after a statement "
            "(at line 17, column 19).",
            id="not-toml",
        ),
    ],
)  # fmt: skip
def test_content_read_refuses_a_mistake_naming_the_entry(tmp_path, old, new, message):
    path = _demo_with(tmp_path, old, new)

    with pytest.raises(ContentError) as refused:
        content_read(path=path)

    assert str(refused.value) == f"{path}: {message}"


def test_content_read_refuses_a_file_without_a_workshop_table(tmp_path):
    path = tmp_path / "workshop.toml"
    path.write_text('[[people]]\nkey = "a"\nname = "A"\nrole = "chair"\n')

    with pytest.raises(ContentError) as refused:
        content_read(path=path)

    assert str(refused.value) == f"{path}: there is no [workshop] table; it is required."


def test_content_read_refuses_a_missing_file(tmp_path):
    path = tmp_path / "nowhere.toml"

    with pytest.raises(ContentError) as refused:
        content_read(path=path)

    assert str(refused.value) == f"{path}: no such file."


# --- Details the demo makes up ---------------------------------------------------------------


def test_demo_flags_every_detail_the_source_does_not_give():
    """The source material gives no date, time, venue or timings, and does not say who presents
    which theme: each is flagged as invented in the demo file."""
    content = content_read(path=DEMO_PATH)
    invented = content.invented
    presenters = [p["name"] for p in content.people if p["role"] == "presenter"]

    assert set(invented[("workshop", content.workshop["title"])]) == {
        "date", "start_time", "venue",
    }  # fmt: skip
    for item in content.agenda:
        flagged = set(invented[("agenda", item["title"])])
        assert flagged == ({"minutes", "leads"} if item["kind"] == "presentation" else {"minutes"})
    assert [name for (section, name) in invented if section == "people"] == presenters
    assert all("(demo assignment)" in invented[("people", name)]["bio"] for name in presenters)


def test_demo_texts_naming_who_presents_which_theme_are_flagged():
    content = content_read(path=DEMO_PATH)

    for person in content.people:
        says_what_they_present = "presents the findings on" in person["bio"] or (
            "findings with" in person["bio"]
        )
        if says_what_they_present:
            assert ("people", person["name"]) in content.invented, person["name"]


def test_demo_panel_perspectives_are_the_sources_four():
    """The source: panellists offer perspectives from general practice, academia, think tanks
    and policy-making."""
    content = content_read(path=DEMO_PATH)
    panel = next(item for item in content.agenda if item["kind"] == "panel")

    for perspective in ("general practice", "academia", "think tanks", "policy-making"):
        assert perspective in panel["description"]


def test_invented_text_without_its_label_is_refused(tmp_path):
    path = _demo_with(tmp_path, 'venue = "Main hall (demo venue)"', 'venue = "Main hall"')

    with pytest.raises(ContentError, match=r"venue is invented, so its text must say so"):
        content_read(path=path)


def test_invented_naming_a_key_the_entry_lacks_is_refused(tmp_path):
    path = _demo_with(
        tmp_path, 'invented = ["date", "start_time", "venue"]', 'invented = ["date", "weather"]'
    )

    with pytest.raises(ContentError, match=r"\[workshop\]: invented names \"weather\""):
        content_read(path=path)


def test_demo_date_is_labelled_until_an_organiser_sets_a_real_one(db):
    from workshop.content import invented_still
    from workshop.services import workshop_load

    workshop = workshop_load(content=content_read(path=DEMO_PATH))
    presenting = workshop.agenda_items.get(position=1)
    assert invented_still(workshop, "date") and invented_still(workshop, "start_time")
    assert invented_still(presenting, "leads")
    assert not invented_still(workshop, "title")

    workshop.date = datetime.date(2027, 3, 4)
    presenting.leads.set(presenting.leads.none())

    assert not invented_still(workshop, "date")
    assert invented_still(workshop, "start_time")
    assert not invented_still(presenting, "leads")
