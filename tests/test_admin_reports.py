"""The report pages with the Flask client: the summary and every report for each role,
filters (host, office, type, range) with bad input answered in place, the calendars staff
may see, and the CSV downloads."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from sis_appointments.models import RoleGrant
from sis_appointments.services.reports import catalogue

BASE = "/admin/appointments/reports"
RANGE = {"from": "2026-10-26", "to": "2026-11-08"}


@pytest.fixture
def world(create_user, create_type, create_slot, create_booking):
    """Dr Lee (advising office) and Kim (writing centre), each with slots in the range; the
    admin; students ana and ben."""
    lee = create_user(username="lee", role="staff", name="Dr Lee", office="Advising")
    kim = create_user(username="kim", role="staff", name="Kim Writer", office="Writing Centre")
    create_user(username="boss", role="admin", name="The Admin")
    ana, ben = create_user(username="ana"), create_user(username="ben")
    advising = create_type(name="Advising", hosts=(lee.key,))
    writing = create_type(name="Writing help", hosts=(kim.key,))
    monday = datetime(2026, 10, 26, 13, tzinfo=UTC)  # 09:00 in New York
    lee_slot = create_slot(start=monday, host_key=lee.key, type=advising, capacity=3)
    kim_slot = create_slot(start=monday + timedelta(days=1), host_key=kim.key, type=writing,
                           capacity=2)
    create_slot(start=monday + timedelta(days=30), host_key=lee.key, type=advising)  # later
    create_booking(ana.key, lee_slot, status="attended")
    create_booking(ben.key, lee_slot, status="no_show")
    create_booking(ana.key, kim_slot, status="confirmed")
    create_booking(ben.key, kim_slot, status="cancelled")
    return lee, kim, advising, writing


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-appt-figure="(\w+)"><dt>[^<]*</dt><dd>([^<]*)</dd>', html))


def options(html: str, name: str) -> list[str]:
    select = html.split(f'name="{name}"')[1].split("</select>")[0]
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_admins_see_every_calendar_with_host_office_and_type_choices(client, auth, world):
    auth.login("boss")
    response = client.get(BASE, query_string=RANGE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert figures(html) == {"slots": "2", "offered": "5", "booked": "3",
                             "utilisation": "60.0%", "bookings": "3", "cancelled": "1",
                             "late_cancelled": "0", "attended": "1", "no_show": "1",
                             "no_show_rate": "50.0%"}
    assert options(html, "host") == ["All hosts", "Dr Lee", "Kim Writer"]
    assert options(html, "office") == ["All offices", "Advising", "Writing Centre"]
    assert options(html, "type") == ["All types", "Advising", "Writing help"]
    assert "dates and times in America/New_York" in html
    assert '<a href="/admin/appointments/reports" aria-current="page">Reports</a>' in html


def test_filters_narrow_the_figures(client, auth, world):
    lee, kim, advising, writing = world
    auth.login("boss")

    def offered(**narrow):
        html = client.get(BASE, query_string={**RANGE, **narrow}).get_data(as_text=True)
        return figures(html)["offered"]

    assert offered(host=kim.key) == "2"
    assert offered(office="Advising") == "3"
    assert offered(type=writing.id) == "2"
    assert offered(**{"to": "2026-12-31"}) == "6"


def test_staff_see_their_own_calendar_only_until_granted(client, auth, session, world):
    lee, kim, advising, writing = world
    auth.login("lee")
    html = client.get(BASE, query_string=RANGE).get_data(as_text=True)
    assert figures(html)["offered"] == "3"
    assert options(html, "host") == ["All my calendars", "Dr Lee"]
    refused = client.get(BASE, query_string={**RANGE, "host": kim.key})
    assert refused.status_code == 400
    assert "you cannot see reports of this calendar" in refused.get_data(as_text=True)
    assert client.get(f"{BASE}/download/weekly.csv",
                      query_string={**RANGE, "host": kim.key}).status_code == 403
    session.add(RoleGrant(user_key=lee.key, grant="manage_calendar", target_key=kim.key))
    session.commit()
    html = client.get(BASE, query_string=RANGE).get_data(as_text=True)
    assert figures(html)["offered"] == "5"
    assert options(html, "host") == ["All my calendars", "Dr Lee", "Kim Writer"]
    assert figures(client.get(BASE, query_string={**RANGE, "host": kim.key})
                   .get_data(as_text=True))["offered"] == "2"


@pytest.mark.parametrize("path", [BASE, f"{BASE}/usage", f"{BASE}/download/weekly.csv"])
def test_students_are_refused_and_visitors_sent_to_log_in(client, auth, world, path):
    assert client.get(path).status_code == 302
    auth.login("ana")
    assert client.get(path, query_string=RANGE).status_code == 403


@pytest.mark.parametrize("user", ["boss", "lee"])
@pytest.mark.parametrize("name", list(catalogue.REPORTS))
def test_every_report_shows_a_table_a_chart_and_a_csv_per_figure(client, auth, world, name,
                                                                 user):
    auth.login(user)
    response = client.get(f"{BASE}/{name}", query_string=RANGE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    report = catalogue.REPORTS[name]
    for table in report.tables:
        assert f'data-appt-report="{table}"' in html
        assert f"/download/{table}.csv?" in html
        data = re.search(rf'id="appt-report-{table.replace("_", "-")}-data">([^<]*)</script>',
                         html)
        assert data and json.loads(data.group(1))["kind"]
    assert "vendor/chart.umd.min.js" in html and "js/report_charts.js" in html
    assert "<script>" not in html  # no inline scripts: data only in JSON blocks


def test_the_usage_report_shows_the_heatmap_in_the_viewers_zone(client, auth, world):
    auth.login("boss")
    html = client.get(f"{BASE}/usage", query_string=RANGE).get_data(as_text=True)
    heatmap = html.split('data-appt-report="heatmap"')[1].split("</section>")[0]
    nine = heatmap.split('<th scope="row">09:00</th>')[1].split("</tr>")[0]
    assert re.findall(r">(\d+)</td>", nine) == ["2", "1", "0", "0", "0", "0", "0"]
    data = json.loads(re.search(r'id="appt-report-heatmap-data">([^<]*)<', html).group(1))
    assert data["rows"][1] == "09:00" and data["values"][1][:2] == [2, 1]


def test_unknown_reports_and_tables_are_not_found(client, auth, world):
    auth.login("boss")
    assert client.get(f"{BASE}/nothing").status_code == 404
    assert client.get(f"{BASE}/download/nothing.csv").status_code == 404


@pytest.mark.parametrize("bad, message", [
    ({"from": "2026-13-01"}, "Not a valid date value"),
    ({"from": "2026-11-08", "to": "2026-11-01"}, "the range must end on or after"),
    ({"from": "2020-01-01", "to": "2026-01-01"}, "a report spans at most"),
    ({"type": "abc"}, "Not a valid integer value"),
    ({"host": "a\x00b"}, "must not contain NUL characters"),
])
def test_bad_filters_are_answered_in_place(client, auth, world, bad, message):
    auth.login("boss")
    response = client.get(f"{BASE}/usage", query_string={**RANGE, **bad})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'aria-invalid="true"' in html
    assert 'data-appt-report="heatmap"' not in html
    assert client.get(f"{BASE}/download/weekly.csv",
                      query_string={**RANGE, **bad}).status_code == 400


def test_csv_downloads_hold_every_row_with_names_and_keys(client, auth, world):
    lee, kim, advising, writing = world
    auth.login("boss")
    response = client.get(f"{BASE}/download/attendance_by_host.csv", query_string=RANGE)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert ('filename="appointments-attendance-by-host-2026-10-26-2026-11-08.csv"'
            in response.headers["Content-Disposition"])
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["Host key", "Host", "Bookings", "Attended"]
    assert rows[1][:5] == [lee.key, "Dr Lee", "2", "1", "1"]
    assert rows[2][:4] == [kim.key, "Kim Writer", "2", "0"]
    weekly = list(csv.reader(io.StringIO(client.get(
        f"{BASE}/download/weekly.csv", query_string=RANGE).get_data(as_text=True))))
    assert weekly[1] == ["2026-10-26", "2", "5", "3", "60.0"]
    assert weekly[2] == ["2026-11-02", "0", "0", "0", ""]


def test_the_default_range_is_the_last_eight_weeks(client, auth, world, app):
    auth.login("boss")
    html = client.get(BASE).get_data(as_text=True)
    assert re.search(r'name="from" value="\d{4}-\d{2}-\d{2}"', html)
    start = re.search(r'name="from" value="([\d-]+)"', html).group(1)
    end = re.search(r'name="to" value="([\d-]+)"', html).group(1)
    span = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    assert span == timedelta(days=55) and datetime.fromisoformat(start).weekday() == 0


def test_a_report_costs_the_same_statements_whatever_the_number_of_rows(
        app, client, auth, world, create_slot, create_booking, create_user):
    from helpers import count_statements

    lee, kim, advising, writing = world
    auth.login("boss")
    pages = [BASE, *(f"{BASE}/{name}" for name in catalogue.REPORTS)]

    def costs():
        counts = []
        for path in pages:
            with count_statements(app) as seen:
                assert client.get(path, query_string=RANGE).status_code == 200
            counts.append(len(seen))
        return counts

    before = costs()
    start = datetime(2026, 10, 27, 14, tzinfo=UTC)
    for n in range(12):
        slot = create_slot(start=start + timedelta(days=n, hours=n % 5), host_key=kim.key,
                           type=writing, capacity=3)
        create_booking(create_user().key, slot, status="no_show" if n % 3 else "attended")
    assert costs() == before
    assert max(before) <= 12, dict(zip(pages, before, strict=True))
