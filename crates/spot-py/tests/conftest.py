import pytest

import spot


@pytest.fixture(scope="session")
def day():
    """A small synthetic day (about 13k flows) with its five attacks."""
    return spot.demo.flows(seed=1, workstations=20)


@pytest.fixture(scope="session")
def model(day):
    return spot.FlowModel(topics=5, iterations=10, seed=0).fit(day.flows)
