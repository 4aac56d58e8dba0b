import pytest
from django.core.cache import cache

from workshop import limits
from workshop.content import DEMO_PATH, content_read
from workshop.pages import home_pages
from workshop.render import panel_cache, phone_cache
from workshop.services import workshop_load


@pytest.fixture
def demo_workshop(db):
    return workshop_load(content=content_read(path=DEMO_PATH))


@pytest.fixture(autouse=True)
def fresh_limits():
    """Rate-limit counters (workshop/limits.py) start empty in each test."""
    cache.clear()
    limits.local_reset()
    yield
    cache.clear()
    limits.local_reset()


@pytest.fixture(autouse=True)
def fresh_rendered_caches():
    """Pages and pushes are kept by (workshop id, version). A test's rolled-back transaction
    hands the next test the same ids and versions again, which the database never does."""
    for kept in (home_pages, phone_cache, panel_cache):
        kept.clear()
