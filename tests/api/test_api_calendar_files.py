"""Calendar files for a range, kept by the process until the next committed change."""

from __future__ import annotations

from datetime import timedelta

from helpers import count_statements

from sis_appointments.models import utcnow


def iso(when):
    return when.isoformat()


def test_a_calendar_file_for_a_range_holds_only_that_range(make_caller, create_slot):
    student = make_caller()
    start = utcnow().replace(microsecond=0)
    near, far = create_slot(start=start + timedelta(days=1)), create_slot(
        start=start + timedelta(days=20))
    for slot in (near, far):
        assert student.post(f"/slots/{slot.id}/bookings").status_code == 201
    whole = student.get("/calendar/mine").get_data(as_text=True)
    assert whole.count("BEGIN:VEVENT") == 2
    week = student.get("/calendar/mine", query_string={
        "start": iso(start), "end": iso(start + timedelta(days=7))}).get_data(as_text=True)
    assert week.count("BEGIN:VEVENT") == 1
    refused = student.get("/calendar/mine", query_string={
        "start": iso(start), "end": iso(start - timedelta(days=1))})
    assert refused.status_code == 422


def test_a_calendar_file_is_kept_until_a_change_commits(app, make_caller, create_slot):
    student = make_caller()
    first, second = create_slot(), create_slot(start=utcnow() + timedelta(days=2))
    assert student.post(f"/slots/{first.id}/bookings").status_code == 201
    assert student.get("/calendar/mine").get_data(as_text=True).count("BEGIN:VEVENT") == 1
    with count_statements(app) as seen:
        again = student.get("/calendar/mine")
    assert again.status_code == 200 and seen == []  # from the process's memory
    assert student.post(f"/slots/{second.id}/bookings").status_code == 201
    assert student.get("/calendar/mine").get_data(as_text=True).count("BEGIN:VEVENT") == 2


def test_a_cached_host_calendar_is_still_refused_to_who_may_not_see_it(make_caller):
    host, other = make_caller(role="staff"), make_caller(role="staff")
    assert host.get(f"/calendar/hosts/{host.key}").status_code == 200
    assert other.get(f"/calendar/hosts/{host.key}").status_code == 403
