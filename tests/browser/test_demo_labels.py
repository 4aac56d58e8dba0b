"""The demo workshop's made-up details (date and time, timings, who presents which theme) are
labelled as demo content on the phone's pages, as its venue is."""

from playwright.sync_api import expect

from tests.chromium import axe_violations, screenshot


def test_phone_pages_label_the_demo_date_and_presenter_assignments(live_app, new_phone):
    phone = new_phone()
    phone.goto(f"{live_app.url}/j/PCN25/")
    meta = phone.locator(".hero .meta")
    expect(meta).to_contain_text("Thursday 3 December 2026, 14:00 (demo date and time)")
    expect(meta).to_contain_text("Main hall (demo venue)")
    assert axe_violations(phone) == []
    screenshot(phone, "demo-01-phone-home")

    phone.goto(f"{live_app.url}/j/PCN25/agenda/")
    expect(phone.locator("p.meta")).to_contain_text("Thursday 3 December 2026 (demo date)")
    policy = phone.locator(".agenda__item", has_text="Findings: policy and history")
    expect(policy.locator(".agenda__leads")).to_contain_text(
        "Led by Dr Jonathan Hammond (demo assignment)"
    )
    expect(policy.locator(".agenda__time")).to_contain_text("12 min (demo timing)")
    welcome = phone.locator(".agenda__item", has_text="Welcome and introductions")
    expect(welcome.locator(".agenda__leads")).not_to_contain_text("demo")  # the chair is a fact
    assert axe_violations(phone) == []
    screenshot(phone, "demo-02-phone-agenda")

    phone.goto(f"{live_app.url}/j/PCN25/people/")
    assert axe_violations(phone) == []
    phone.get_by_role("link", name="Dr Jonathan Hammond").click()
    expect(phone.locator(".prose")).to_contain_text(
        "presents the findings on policy and history (demo assignment)"
    )
    expect(phone.locator("[aria-labelledby=leads-h] li")).to_have_text(
        "Findings: policy and history (demo assignment)"
    )
    assert axe_violations(phone) == []
    screenshot(phone, "demo-03-phone-person")


def test_phone_agenda_gives_the_panels_perspectives_as_the_source_does(live_app, new_phone):
    phone = new_phone()
    phone.goto(f"{live_app.url}/j/PCN25/agenda/")

    panel = phone.locator(".agenda__item", has_text="Panel discussion of the chosen theme")
    expect(panel).to_contain_text("general practice, academia, think tanks and policy-making")
    assert axe_violations(phone) == []
