"""The scheduling engine without Flask: services on a session whose host is a plain object."""

from __future__ import annotations

import pytest
from databases import BY_URL
from engine.actors import FakeHost
from helpers import record_hook_calls

from sis_appointments.database import make_engine, make_sessionmaker
from sis_appointments.models import metadata
from sis_appointments.plugin import sis_object_manager


@pytest.fixture
def fake_host():
    return FakeHost()


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url, 30)
    if database_url not in BY_URL:  # a worker's shared database has its tables already
        metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine, fake_host):
    """A session factory wired like the plugin's (post-commit events reach the host)."""
    return make_sessionmaker(engine, record_hook_calls(sis_object_manager(fake_host)))


@pytest.fixture
def session(sessions):
    db_session = sessions()
    yield db_session
    db_session.close()
