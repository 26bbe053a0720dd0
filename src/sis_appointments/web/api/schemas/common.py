"""What every resource's schemas share: refusing unknown fields and NUL characters
(``Strict``), whole numbers within a range (``Whole``), time zone names, times with an
offset (``Instant``) and local times (``LocalTime``) within a sane window of years, the problem
body (``Problem``), a reason, and the page of a keyset-paged list (``page_of``)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from sis_appointments.domain.timezones import zone
from sis_appointments.domain.type_limits import EARLIEST_YEAR, INT_MAX, LATEST_YEAR


def _nul_free(value, path="") -> None:
    """Refuse NUL characters anywhere: databases cannot store them in text."""
    if isinstance(value, str) and "\x00" in value:
        raise ValidationError("must not contain NUL characters", path or "_schema")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _nul_free(key, path)
            _nul_free(item, str(key))
    elif isinstance(value, list | tuple):
        for item in value:
            _nul_free(item, path)


class Strict(Schema):
    class Meta:
        unknown = RAISE

    @pre_load
    def _no_nul(self, data, **kwargs):
        _nul_free(data)
        return data


def _zone(value: str) -> None:
    try:
        zone(value)
    except Exception as exc:
        raise ValidationError(f"{value!r} is not an IANA time zone") from exc


INT_MIN = -INT_MAX - 1
_DIGITS = re.compile(r"[+-]?[0-9]{1,12}")


class Whole(fields.Integer):
    """A whole number: a JSON integer (``1.5`` and ``1.0`` are refused, never truncated) or,
    in a query string, digits; always within a ``Range``: the one given in ``validate``
    (itself within a 32-bit signed integer, what the database stores) or, by default, that of
    a 32-bit signed integer."""

    def __init__(self, **kwargs):
        given = kwargs.get("validate")
        given = [] if given is None else list(given) if isinstance(given, list | tuple) \
            else [given]
        ranges = [v for v in given if isinstance(v, validate.Range)]
        for bound in ranges:
            if bound.min is None or bound.max is None or bound.min < INT_MIN \
                    or bound.max > INT_MAX:
                raise ValueError("a Whole's range must lie within a 32-bit signed integer")
        kwargs["validate"] = given if ranges else [*given, validate.Range(INT_MIN, INT_MAX)]
        super().__init__(**kwargs)

    def _validated(self, value):
        if isinstance(value, bool | float) or (
                isinstance(value, str) and not _DIGITS.fullmatch(value)):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)




def _in_window(value) -> None:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationError(f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}")


class Instant(fields.AwareDateTime):
    """ISO 8601 with an offset (naive times are refused), in the years 1900 to 2200."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(_in_window)


class LocalTime(fields.NaiveDateTime):
    """A wall-clock time without offset (ISO 8601), in the years 1900 to 2200."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(_in_window)


class Span(Strict):
    """A range of times: when both ``start`` and ``end`` are given, ``end`` comes after."""

    @validates_schema
    def _ordered(self, data, **kwargs):
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise ValidationError("end must be after start", "end")


class Problem(Schema):
    """An RFC 9457 problem (application/problem+json)."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String()
    errors = fields.Dict()
    state = fields.Dict()


class Reason(Strict):
    reason = fields.String(load_default="", validate=validate.Length(max=1000))


def page_of(name: str, item: type[Schema]) -> type[Schema]:
    """The schema ``name`` of one page of a keyset-paged list (web/api/paging.py): the
    ``item``s, and ``next``, the link to the following page (null on the last)."""
    return type(name, (Schema,), {"items": fields.List(fields.Nested(item)),
                                  "next": fields.String(allow_none=True)})
