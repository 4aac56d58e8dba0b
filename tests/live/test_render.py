from django.template import engines

from workshop.render import templates_compile


def test_the_server_compiles_the_projects_templates_at_start_up():
    names = templates_compile()

    # Every template of the project's own apps and top-level folder, and none of Django's.
    assert {"base.html", "voting/phone/live.html", "workshop/screen/screen.html"} <= set(names)
    assert "voting/console/tally.html" in names and "panel/console/panel.html" in names
    assert not [n for n in names if n.startswith("admin/")]
    # They are in the cached loader, so no push compiles one in the middle of a vote.
    (loader,) = engines["django"].engine.template_loaders
    assert set(names) <= set(loader.get_template_cache)
