"""`manage.py show_urls`, the addresses in `make run`'s banner."""

import io

import pytest
from django.core.management import call_command

from tests.factories import make_workshop

pytestmark = pytest.mark.django_db

TITLE = (
    "Primary Care Networks: what does the early evidence tell us about collaboration, "
    "leadership and the work of networks in the NHS?"
)


def _show_urls(base: str) -> str:
    out = io.StringIO()
    call_command("show_urls", base=base, stdout=out)
    return out.getvalue()


def test_the_banner_prints_the_whole_title_wrapped_at_word_boundaries():
    workshop = make_workshop(title=TITLE)
    lines = _show_urls("http://192.168.1.20:8000").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  Primary Care"))
    title_lines = lines[start : start + 3]
    assert all(len(line) <= 80 for line in title_lines)
    words = " ".join(line.strip() for line in title_lines).split()
    assert words[: len(TITLE.split())] == TITLE.split()
    assert f"[code {workshop.join_code}]" in " ".join(title_lines)


def test_the_banner_links_use_the_base_given():
    workshop = make_workshop()
    out = _show_urls("http://192.168.1.20:8000/")
    assert "  Attendees join at  http://192.168.1.20:8000/\n" in out
    assert f"Phone page       http://192.168.1.20:8000/j/{workshop.join_code}/" in out
