import pytest

from workshop.demo import pcn
from workshop.services import workshop_load


@pytest.fixture
def demo_workshop(db):
    return workshop_load(content=pcn)
