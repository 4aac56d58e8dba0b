import pytest
from django.urls import reverse

from tests.factories import make_workshop


def test_join_page_asks_for_the_code(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b'name="code"' in response.content


def test_join_with_code_in_any_case_redirects_to_the_workshop(client, demo_workshop):
    response = client.get("/", {"code": " pcn25 "})
    assert (response.status_code, response["Location"]) == (302, "/j/PCN25/")


def test_join_with_unknown_code_shows_the_form_again_with_a_message(client, demo_workshop):
    response = client.get("/", {"code": "ZZZZ"})
    assert response.status_code == 404
    assert "No workshop has the code ZZZZ" in response.content.decode()
    assert b'name="code"' in response.content


def test_join_with_malformed_code_explains_the_format(client, demo_workshop):
    response = client.get("/", {"code": "<script>"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "A join code has 4 to 6 characters" in body
    assert "<script>" not in body


def test_join_code_url_in_lower_case_redirects_to_canonical(client, demo_workshop):
    response = client.get("/j/pcn25/agenda/")
    assert (response.status_code, response["Location"]) == (302, "/j/PCN25/agenda/")


def test_unknown_code_url_is_a_friendly_page_not_a_bare_404(client, demo_workshop):
    response = client.get("/j/WXYZ/themes/")
    assert response.status_code == 404
    assert "No workshop has the code WXYZ" in response.content.decode()
    assert b'name="code"' in response.content


def test_phone_pages_refuse_post(client, demo_workshop):
    assert client.post("/j/PCN25/").status_code == 405


def _urls(workshop):
    code = workshop.join_code
    theme = workshop.themes.first()
    report = workshop.reports.first()
    person = workshop.people.first()
    return {
        "home": reverse("workshop:phone-home", kwargs={"code": code}),
        "agenda": reverse("workshop:phone-agenda", kwargs={"code": code}),
        "themes": reverse("evidence:phone-themes", kwargs={"code": code}),
        "theme": reverse("evidence:phone-theme", kwargs={"code": code, "pk": theme.pk}),
        "reports": reverse("evidence:phone-reports", kwargs={"code": code}),
        "report": reverse("evidence:phone-report", kwargs={"code": code, "pk": report.pk}),
        "people": reverse("panel:phone-people", kwargs={"code": code}),
        "person": reverse("panel:phone-person", kwargs={"code": code, "pk": person.pk}),
    }


# Queries per page with the demo content, for a phone that has joined: 1 for the workshop,
# then the page's own reads. Home, the first time at a live version: the version, then the
# live snapshot (workshop, state, agenda and leads, current vote); kept after that
# (workshop/pages.py, test_the_home_page_is_kept_by_live_version). A count that grows with
# the content would show up as an N+1 here.
PAGE_QUERIES = {
    "home": 8,
    "agenda": 3,
    "themes": 3,
    "theme": 3,
    "reports": 2,
    "report": 3,
    "people": 2,
    "person": 3,
}


@pytest.mark.parametrize("page", PAGE_QUERIES)
def test_phone_page_renders_demo_content_with_fixed_queries(
    page, client, demo_workshop, django_assert_num_queries
):
    url = _urls(demo_workshop)[page]
    client.post("/j/PCN25/join/")  # joins: sets the attendee cookie
    with django_assert_num_queries(PAGE_QUERIES[page]):
        response = client.get(url)
    assert response.status_code == 200
    assert demo_workshop.join_code in response.content.decode()


def test_agenda_shows_clock_times_and_leads(client, demo_workshop):
    body = client.get("/j/PCN25/agenda/").content.decode()
    assert "14:00" in body and "15:30" in body
    assert "Prof Kath Checkland" in body


def test_theme_page_shows_findings_with_the_report_each_cites(client, demo_workshop):
    theme = demo_workshop.themes.get(title="System engagement")
    body = client.get(f"/j/PCN25/themes/{theme.pk}/").content.decode()
    for finding in theme.findings.all():
        assert f"/j/PCN25/reports/{finding.report_id}/" in body
    assert "PRUComm interim report" in body and "BRACE rapid evaluation" in body


def test_report_page_links_to_the_report_and_doi(client, demo_workshop):
    report = demo_workshop.reports.get(short_title="BRACE rapid evaluation")
    body = client.get(f"/j/PCN25/reports/{report.pk}/").content.decode()
    assert 'href="https://njl-admin.nihr.ac.uk/document/download/2034743"' in body
    assert 'href="https://doi.org/10.3310/hsdr-tr-129678"' in body


def test_people_without_photos_show_initials(client, demo_workshop):
    body = client.get("/j/PCN25/people/").content.decode()
    assert 'avatar--initials" aria-hidden="true">KC<' in body
    assert 'avatar--initials" aria-hidden="true">BF<' in body


def test_theme_of_another_workshop_is_not_found(client, demo_workshop):
    other = make_workshop(join_code="OTHER")
    theme = demo_workshop.themes.first()
    response = client.get(f"/j/{other.join_code}/themes/{theme.pk}/")
    assert response.status_code == 404


def test_script_typed_in_admin_is_not_run_on_the_page(client, db):
    workshop = make_workshop(
        join_code="XSSXS", description='Hi <script>alert("x")</script> **there**'
    )
    body = client.get(f"/j/{workshop.join_code}/").content.decode()
    assert "<script>alert" not in body
    assert "<strong>there</strong>" in body


def test_first_visit_reads_without_joining_until_the_page_posts_its_join(client, demo_workshop):
    from workshop.attendees import cookie_name

    page = client.get("/j/PCN25/").content.decode()
    client.get("/j/PCN25/agenda/")
    assert demo_workshop.attendees.count() == 0
    # The page asks live.js to join first, and opens no socket until then.
    assert 'data-join="/j/PCN25/join/"' in page and " ws-connect=" not in page

    assert client.post("/j/PCN25/join/").status_code == 204
    assert client.post("/j/PCN25/join/").status_code == 204

    assert demo_workshop.attendees.count() == 1
    cookie = client.cookies[cookie_name(demo_workshop.pk)]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie.value.split(":")[0] == str(demo_workshop.attendees.get().pk)
    page = client.get("/j/PCN25/").content.decode()
    assert 'ws-connect="/ws/j/PCN25/"' in page and "data-join=" not in page


def test_forged_attendee_cookie_is_ignored_and_a_new_attendee_joins(client, demo_workshop):
    from workshop.attendees import cookie_name

    client.cookies[cookie_name(demo_workshop.pk)] = "1:forged-signature"
    client.get("/j/PCN25/")
    assert demo_workshop.attendees.count() == 0
    client.post("/j/PCN25/join/")

    assert demo_workshop.attendees.count() == 1
    assert client.cookies[cookie_name(demo_workshop.pk)].value != "1:forged-signature"


def test_template_comments_do_not_reach_the_page(client, demo_workshop):
    """A {# #} comment ends at its line: one that runs on is printed on the page."""
    body = client.get("/j/PCN25/").content.decode()
    assert "{#" not in body and "#}" not in body
