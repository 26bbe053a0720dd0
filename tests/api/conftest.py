"""API fixtures: callers with personal tokens for each role."""

from __future__ import annotations

import pytest

API = "/api/appointments/v1"


def _read(response):
    response.get_data()
    return response


class Caller:
    """A test client that speaks to the API with a bearer token. Streamed answers (CSV)
    are read to the end, as a browser would, so the request's session is closed."""

    def __init__(self, client, token: str | None, key: str | None = None):
        self.client, self.token, self.key = client, token, key

    def _headers(self, headers):
        out = dict(headers or {})
        if self.token:
            out["Authorization"] = f"Bearer {self.token}"
        return out

    def get(self, path, **kw):
        return _read(self.client.get(API + path, headers=self._headers(kw.pop("headers", None)),
                                     **kw))

    def post(self, path, json=None, **kw):
        return self.client.post(API + path, json=json if json is not None else {},
                                headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path, json=None, **kw):
        return self.client.patch(API + path, json=json or {},
                                 headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, path, json=None, **kw):
        return self.client.put(API + path, json=json or {},
                               headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path, **kw):
        return self.client.delete(API + path, headers=self._headers(kw.pop("headers", None)),
                                  **kw)


@pytest.fixture
def make_caller(app, session, create_user):
    """Factory: a user of ``role`` and a Caller holding a write (or read) token of theirs."""
    from sis_appointments.contract import SisUser
    from sis_appointments.services.accounts import tokens

    def make(role="student", scope="write", **user_fields):
        user = create_user(role=role, **user_fields)
        actor = SisUser(key=user.key, name=user.name, roles=frozenset({role}))
        _, secret = tokens.create(session, actor=actor, name="tests", scope=scope)
        return Caller(app.test_client(), secret, user.key)

    return make


@pytest.fixture
def anonymous(app):
    return Caller(app.test_client(), None)
