"""What every resource's schemas share: refusing unknown fields and NUL characters
(``Strict``), time zone names, times with an offset (``Instant``), the problem
body (``Problem``), a reason, and the page of a keyset-paged list (``page_of``)."""

from __future__ import annotations

from collections.abc import Mapping

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from sis_appointments.domain.timezones import zone


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


Instant = fields.AwareDateTime  # ISO 8601 with an offset; naive times are refused


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
