"""Staff pages: reports of the calendars the viewer manages, with a chart and a table per
figure and a CSV download of each table.

``/reports`` shows the range's summary and the list of reports; ``/reports/<name>`` one
report; ``/reports/download/<table>.csv`` the rows of one table. Each takes the same filters
(``from``, ``to``: local dates; ``host``, ``office``, ``type``) as GET parameters.
"""

from __future__ import annotations

import math
from datetime import date

from flask import Response, abort, render_template, request, stream_with_context
from wtforms import DateField, Form, IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional, Regexp

from sis_appointments.domain.errors import Forbidden, InvalidInput, NotFound
from sis_appointments.models import utcnow
from sis_appointments.services.reports import catalogue, exports
from sis_appointments.services.reports.scope import Filters, default_range, resolve
from sis_appointments.services.reports.tables import Table
from sis_appointments.web import db, permissions
from sis_appointments.web.admin import bp, page
from sis_appointments.web.forms import in_window

page("Reports", "appointments_admin.reports", order=60, endpoint_prefix="appointments_admin.report")

NO_NUL = Regexp(r"^[^\x00]*$", message="must not contain NUL characters")
HEAT_LEVELS = 5


class ReportFilterForm(Form):
    """The filters of every report page, read from the query string (a GET: no CSRF)."""

    start = DateField("From", validators=[Optional(), in_window])
    end = DateField("To", validators=[Optional(), in_window])
    host = StringField("Host", validators=[Optional(), Length(max=64), NO_NUL])
    office = StringField("Office", validators=[Optional(), Length(max=200), NO_NUL])
    type = IntegerField("Appointment type", validators=[Optional(), NumberRange(1, 2147483647)])

    def filters(self, today: date) -> Filters:
        first, last = default_range(today)
        return Filters(self.start.data or first, self.end.data or last, self.host.data or None,
                       None if self.host.data else self.office.data or None, self.type.data)


def _form() -> ReportFilterForm:
    args = request.args.copy()
    for field, name in (("start", "from"), ("end", "to")):
        if name in args:
            args[field] = args.pop(name)
    return ReportFilterForm(args)


def _query(form: ReportFilterForm) -> dict:
    """The filters as query-string arguments (for links between the reports and to CSVs)."""
    values = {"from": form.start.data, "to": form.end.data, "host": form.host.data,
              "office": form.office.data, "type": form.type.data}
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if v}


def _run(name: str | None):
    identity, session = permissions.current_identity(), db.session()
    zone = permissions.display_zone(identity)
    today = utcnow().astimezone(zone).date()
    form, result, status = _form(), None, 200
    if form.validate():
        try:
            result = catalogue.report(session, actor=identity, filters=form.filters(today),
                                      zone=zone, name=name)
        except (InvalidInput, Forbidden) as error:
            target = form.host if isinstance(error, Forbidden) else form.end
            target.errors = [*target.errors, error.message]
    if result is None:
        status = 400
        first, last = default_range(today)
        scope = resolve(session, actor=identity, filters=Filters(first, last), zone=zone)
    else:
        scope = result.scope
    return render_template(
        "appointments/admin/reports.html" if name is None else
        "appointments/admin/report.html", form=form, result=result, scope=scope,
        reports=catalogue.REPORTS.values(), report=catalogue.REPORTS.get(name or ""),
        query=_query(form), zone=zone, viewer=identity.key,
        chart_of=chart_of, cell=cell, heat=heat_level), status


@bp.get("/reports")
@permissions.require_roles("staff", "admin")
def reports():
    return _run(None)


@bp.get("/reports/<name>")
@permissions.require_roles("staff", "admin")
def report(name: str):
    if name not in catalogue.REPORTS:
        abort(404)
    return _run(name)


@bp.get("/reports/download/<table>.csv")
@permissions.require_roles("staff", "admin")
def report_csv(table: str):
    identity = permissions.current_identity()
    zone = permissions.display_zone(identity)
    form = _form()
    if not form.validate():
        abort(400, "; ".join(f"{form[f].label.text}: {e[0]}" for f, e in form.errors.items()))
    filters = form.filters(utcnow().astimezone(zone).date())
    try:
        rows = catalogue.table_rows(db.session(), actor=identity, filters=filters, zone=zone,
                                    table=table)
    except NotFound:
        abort(404)
    except Forbidden as error:
        abort(403, error.message)
    except InvalidInput as error:
        abort(400, error.message)
    name = f"appointments-{table.replace('_', '-')}-{filters.start}-{filters.end}.csv"
    return Response(stream_with_context(exports.stream(iter(rows))), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def heat_level(n: int, most: int) -> int:
    """A heatmap cell's shade, 0 (none) to HEAT_LEVELS."""
    return math.ceil(HEAT_LEVELS * n / most) if most and n else 0


def cell(value, kind: str) -> str:
    """A table cell as the page shows it (the CSV keeps the plain value)."""
    if value is None:
        return "–"
    if kind == "count":
        return f"{value:,}"
    if kind == "percent":
        return f"{value:.1f}%"
    if kind == "week":
        return f"{value.day} {value:%b %Y}"
    if kind == "month":
        return date.fromisoformat(f"{value}-01").strftime("%B %Y")
    if kind == "hour":
        return f"{value:02d}:00"
    return str(value)


def chart_of(table: Table) -> dict | None:
    """What static/js/report_charts.js draws for ``table``: its chart's kind, the point
    labels (as the page shows them) and a series per charted column."""
    chart = table.chart
    if chart is None or not table.rows:
        return None
    at = table.column(chart.label) if chart.label else next(
        i for i, c in enumerate(table.columns) if c.kind != "key")
    labels = [cell(row[at], table.columns[at].kind) for row in table.rows]
    if chart.kind == "heatmap":
        return {"kind": "heatmap", "rows": labels,
                "columns": [c.label for c in table.columns[1:]],
                "values": [list(row[1:]) for row in table.rows],
                "max": table.extra.get("max", 0)}
    return {"kind": chart.kind, "labels": labels, "percent": chart.percent,
            "series": [{"label": table.columns[table.column(k)].label,
                        "percent": table.columns[table.column(k)].kind == "percent",
                        "data": [row[table.column(k)] for row in table.rows]}
                       for k in chart.series]}
