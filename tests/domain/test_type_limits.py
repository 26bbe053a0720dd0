"""The service and the API schema refuse and accept the same appointment-type values."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from sis_appointments.domain import type_limits as limits
from sis_appointments.domain.errors import InvalidInput
from sis_appointments.services.scheduling import appointment_types
from sis_appointments.web.api.schemas.appointment_types import TypeFields

CASES = [(name, value, True) for name, limit in limits.NUMBERS.items()
         for value in (limit.low, limit.high)]
CASES += [(name, value, False) for name, limit in limits.NUMBERS.items()
          for value in (limit.low - 1, limit.high + 1)]
CASES += [(name, "x" * length, True) for name, length in limits.TEXT.items()
          if name != "online_url"]
CASES += [(name, "x" * (length + 1), False) for name, length in limits.TEXT.items()]


def _schema_accepts(name, value) -> bool:
    try:
        TypeFields().load({name: value})
    except ValidationError:
        return False
    return True


def _service_accepts(name, value) -> bool:
    try:
        appointment_types.validate({name: value})
    except InvalidInput:
        return False
    return True


@pytest.mark.parametrize(("name", "value", "ok"), CASES,
                         ids=[f"{n}-{len(v) if isinstance(v, str) else v}" for n, v, _ in CASES])
def test_one_table_of_limits_for_service_and_schema(name, value, ok):
    assert (_service_accepts(name, value), _schema_accepts(name, value)) == (ok, ok)
