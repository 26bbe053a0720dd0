"""schemathesis against the generated OpenAPI document, as every role: no server error,
every response conforming to the document."""

from __future__ import annotations

import pytest
import schemathesis
from api.conftest import API
from hypothesis import HealthCheck, given, settings

from sis_appointments.contract import SisUser
from sis_appointments.services.accounts import tokens

# A valid request may still be refused by a scheduling rule (422: slot in the past, outside
# the booking window) or the current state (409), which no document can express.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({"checks": {
    "positive_data_acceptance": {"expected-statuses": ["2XX", 401, 403, 404, 409, 412, 422,
                                                       428, 429]}}})


@pytest.fixture
def app(make_app):
    """Limits high enough that generated requests reach the rules, not the rate limit."""
    return make_app(SIS_APPOINTMENTS_RATE_LIMIT_WRITES="100000/minute",
                    SIS_APPOINTMENTS_RATE_LIMIT_TOKENS="100000/minute")


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app, config=CONFIG)


@pytest.fixture
def role_tokens(app, session, create_user):
    """A write token for a student, a staff member and an admin, and none (anonymous)."""
    found = {"anonymous": None}
    for role in ("student", "staff", "admin"):
        user = create_user(role=role)
        actor = SisUser(key=user.key, name=user.name, roles=frozenset({role}))
        found[role] = tokens.create(session, actor=actor, name="schemathesis",
                                    scope="write")[1]
    return found


def test_every_operation_as_every_role(api_schema, role_tokens):
    """Each operation with generated requests, sent once per role (pytest 9 cannot run
    schemathesis' own pytest plugin, so hypothesis drives each operation here)."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:
        @settings(max_examples=12, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            for token in role_tokens.values():
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                case.call_and_validate(headers=headers)

        check()
