import pytest
from django.core.cache import cache

from workshop import limits
from workshop.content import DEMO_PATH, content_read
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
