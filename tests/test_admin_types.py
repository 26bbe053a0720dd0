"""Appointment types on the staff pages, with the Flask client: who sees and changes what,
creating and editing (with units, eligibility and hosts), every field's refusal shown next
to it, a stale edit refused with the saved values and what differed, deactivating and
reactivating, and the audit entry each change writes."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from sis_appointments.contract import SisUser
from sis_appointments.domain import type_limits
from sis_appointments.models import AppointmentType, AuditEntry, RoleGrant
from sis_appointments.services.scheduling import appointment_types

LIST = "/admin/appointments/types"
NEW = "/admin/appointments/types/new"


def edit_path(type_id: int) -> str:
    return f"/admin/appointments/types/{type_id}/edit"


def csrf(client, path=LIST) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def as_user(person) -> SisUser:
    return SisUser(key=person.key, name=person.name, roles=frozenset({person.role}))


def form(host_keys, **fields) -> dict:
    """A complete, valid form; ``fields`` change or add (None drops a field)."""
    data = {"name": "Career advice", "description": "Plans after graduation",
            "hosts": list(host_keys), "timezone": "America/New_York",
            "duration_minutes": "45", "capacity": "2", "buffer_before_minutes": "5",
            "buffer_after_minutes": "10", "min_notice": "2", "min_notice_unit": "hours",
            "max_advance_days": "30", "cancel_cutoff": "1", "cancel_cutoff_unit": "days",
            "max_active_per_student": "1", "max_per_student_per_day": "",
            "max_per_student_per_week": "2", "programs": "BSc Biology\nBA History",
            "cohorts": "", "location": "Careers office", "online_url": "",
            "colour": "#2A7F62", "waitlist_enabled": "y", "waitlist_size": "5",
            "offer": "90", "offer_unit": "minutes", "reason_required": "y"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def people(create_user):
    """Dr Lee and Dr Kim (staff), Ada (admin), Sam (student)."""
    return (create_user(username="lee", role="staff", name="Dr Lee"),
            create_user(username="kim", role="staff", name="Dr Kim"),
            create_user(username="ada", role="admin", name="Ada Admin"),
            create_user(username="sam", name="Sam Student"))


def audit_rows(session, type_id: int, action: str) -> list[AuditEntry]:
    session.rollback()
    session.expire_all()
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.entity_type == "type", AuditEntry.entity_id == str(type_id),
        AuditEntry.action == action)))


def post(client, path, data, login_path=None):
    data = dict(data, csrf_token=csrf(client, login_path or path))
    return client.post(path, data=data)


# -- who may do what

def test_students_are_refused_every_route(client, auth, people, create_type):
    lee, _kim, _ada, _sam = people
    advising = create_type(hosts=(lee.key,))
    auth.login("sam")
    assert client.get(LIST).status_code == 403
    assert client.get(NEW).status_code == 403
    assert client.get(edit_path(advising.id)).status_code == 403
    token = auth.csrf_token("/")
    for path in (NEW, edit_path(advising.id),
                 f"/admin/appointments/types/{advising.id}/deactivate"):
        assert client.post(path, data=form([lee.key], csrf_token=token)).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(LIST)
    assert response.status_code in (302, 401)


def test_staff_see_every_type_and_change_only_those_they_host(client, auth, people,
                                                               create_type):
    lee, kim, _ada, _sam = people
    mine = create_type(name="Lee's advising", hosts=(lee.key,), colour="#2a7f62")
    theirs = create_type(name="Kim's clinic", hosts=(kim.key,), active=False)
    auth.login("lee")
    html = client.get(LIST).get_data(as_text=True)
    assert 'aria-current="page">Appointment types</a>' in html
    assert "Lee&#39;s advising" in html and "Kim&#39;s clinic" in html
    assert 'fill="#2a7f62"' in html and ">Inactive<" in html and ">Active<" in html
    assert "Dr Kim" in html and "30 minutes" in html
    assert edit_path(mine.id) in html and edit_path(theirs.id) not in html
    assert f"/types/{theirs.id}/reactivate" not in html
    assert client.get(edit_path(theirs.id)).status_code == 403
    response = post(client, edit_path(theirs.id), form([kim.key]), LIST)
    assert response.status_code == 403


def test_the_navigation_lists_the_page_for_staff(client, auth, people):
    auth.login("lee")
    html = client.get("/admin/appointments/").get_data(as_text=True)
    assert 'href="/admin/appointments/types">Appointment types</a>' in html


def test_staff_are_offered_only_the_calendars_they_manage(client, auth, session, people,
                                                          create_type):
    lee, kim, ada, _sam = people
    create_type(hosts=(kim.key,))  # a known host, but not Lee's to choose
    auth.login("lee")
    html = client.get(NEW).get_data(as_text=True)
    assert f'value="{lee.key}"' in html and "Dr Kim" not in html
    assert 'name="extra_host"' not in html
    response = post(client, NEW, form([kim.key]))
    assert response.status_code == 422
    assert "Choose among the staff listed" in response.get_data(as_text=True)
    session.add(RoleGrant(user_key=lee.key, grant="manage_calendar", target_key=kim.key,
                          created_by=ada.key))
    session.commit()
    html = client.get(NEW).get_data(as_text=True)
    assert "Dr Kim" in html


def test_admins_choose_known_staff_or_name_one_by_key(client, auth, session, people,
                                                      create_type):
    lee, kim, _ada, sam = people
    create_type(hosts=(kim.key,))
    auth.login("ada")
    html = client.get(NEW).get_data(as_text=True)
    assert "Dr Kim" in html and 'name="extra_host"' in html
    assert not re.search(r"<input checked id=\"hosts-", html)  # an admin: nobody ticked
    response = post(client, NEW, form([], extra_host=sam.key))
    assert response.status_code == 422
    assert "no staff member has the user key" in response.get_data(as_text=True).lower()
    response = post(client, NEW, form([kim.key], extra_host=lee.key))
    assert response.status_code == 303
    created = session.scalars(select(AppointmentType).where(
        AppointmentType.name == "Career advice")).one()
    assert sorted(h.host_key for h in created.hosts) == sorted([kim.key, lee.key])


# -- creating and editing

def test_staff_create_a_type_with_every_field(client, auth, session, people):
    lee, *_ = people
    auth.login("lee")
    page = client.get(NEW).get_data(as_text=True)
    assert re.search(rf'<input checked id="hosts-0"[^>]*value="{lee.key}"', page)
    response = post(client, NEW, form([lee.key]))
    assert response.status_code == 303 and response.location.endswith(LIST)
    created = session.scalars(select(AppointmentType)).one()
    assert (created.duration_minutes, created.capacity, created.buffer_before_minutes,
            created.buffer_after_minutes) == (45, 2, 5, 10)
    assert created.min_notice_minutes == 120 and created.cancel_cutoff_minutes == 1440
    assert created.max_advance_days == 30 and created.offer_minutes == 90
    assert created.max_active_per_student == 1 and created.max_per_student_per_day is None
    assert created.max_per_student_per_week == 2
    assert created.eligibility == {"programs": ["BA History", "BSc Biology"]}
    assert created.location == "Careers office" and created.online_url is None
    assert created.colour == "#2a7f62" and created.reason_required is True
    assert created.waitlist_enabled is True and created.waitlist_size == 5
    assert [h.host_key for h in created.hosts] == [lee.key]
    (entry,) = audit_rows(session, created.id, "type.created")
    assert entry.actor_key == lee.key and entry.after["name"] == "Career advice"
    assert "Career advice" in client.get(LIST).get_data(as_text=True)


def test_the_edit_form_shows_values_in_friendly_units(client, auth, people, create_type):
    lee, *_ = people
    advising = create_type(hosts=(lee.key,), min_notice_minutes=2880,
                           cancel_cutoff_minutes=90, offer_minutes=120,
                           eligibility={"cohorts": ["2025", "2026"]})
    auth.login("lee")
    html = client.get(edit_path(advising.id)).get_data(as_text=True)
    assert re.search(r'id="min_notice"[^>]*value="2"', html)
    assert re.search(r'<option selected value="days">days</option>', html)
    assert re.search(r'id="cancel_cutoff"[^>]*value="90"', html)
    assert re.search(r'id="offer"[^>]*value="2"', html)
    assert "2025\n2026</textarea>" in html
    assert f'name="version" type="hidden" value="{advising.version}"' in html


def test_the_page_takes_its_limits_from_the_type_limits(client, auth, people):
    auth.login("lee")
    html = client.get(NEW).get_data(as_text=True)
    for key in ("duration_minutes", "capacity", "buffer_before_minutes",
                "max_advance_days", "waitlist_size"):
        limit = type_limits.NUMBERS[key]
        tag = re.search(rf'<input[^>]*id="{key}"[^>]*>', html).group(0)
        assert f'min="{limit.low}"' in tag and f'max="{limit.high}"' in tag
    tag = re.search(r'<input[^>]*id="min_notice"[^>]*>', html).group(0)
    high = type_limits.NUMBERS["min_notice_minutes"].high
    assert f'data-appt-limit-minutes="{high}"' in tag and f'max="{high // 60}"' in tag
    assert re.search(rf'<input[^>]*id="name"[^>]*maxlength="{type_limits.TEXT["name"]}"',
                     html)


def test_editing_saves_changes_bumps_the_version_and_audits(client, auth, session, people,
                                                            create_type):
    lee, *_ = people
    advising = create_type(hosts=(lee.key,), capacity=1)
    auth.login("lee")
    response = post(client, edit_path(advising.id),
                    form([lee.key], name="Advising", version="1", capacity="4"))
    assert response.status_code == 303
    session.rollback()
    session.expire_all()
    changed = session.get(AppointmentType, advising.id)
    assert changed.capacity == 4 and changed.version == 2 and changed.reason_required
    (entry,) = audit_rows(session, advising.id, "type.updated")
    assert entry.before["capacity"] == 1 and entry.after["capacity"] == 4
    assert entry.actor_key == lee.key


def test_saving_without_a_change_changes_nothing(client, auth, session, people):
    lee, *_ = people
    auth.login("lee")
    assert post(client, NEW, form([lee.key])).status_code == 303
    created = session.scalars(select(AppointmentType)).one()
    response = post(client, edit_path(created.id), form([lee.key], version="1"))
    assert response.status_code == 303
    session.rollback()
    session.expire_all()
    assert session.get(AppointmentType, created.id).version == 1
    assert audit_rows(session, created.id, "type.updated") == []


# -- refusals in place

BAD = [
    ("name", "", "Enter a name"),
    ("name", "x" * 201, "at most 200 characters"),
    ("duration_minutes", "0", "from 1 to 1440"),
    ("duration_minutes", "1441", "from 1 to 1440"),
    ("duration_minutes", "half an hour", "Enter a whole number, such as 30"),
    ("capacity", "0", "from 1 to 100000"),
    ("buffer_before_minutes", "-5", "from 0 to 1440"),
    ("buffer_after_minutes", "", "Enter buffer after"),
    ("min_notice", "366", "at most 365 days"),
    ("max_advance_days", "3651", "from 1 to 3650"),
    ("cancel_cutoff", "-1", "at least 0"),
    ("max_active_per_student", "0", "from 1 to"),
    ("max_per_student_per_day", "0", "from 1 to"),
    ("max_per_student_per_week", "1.5", "Enter a whole number"),
    ("programs", "x" * 101, "at most 100 characters"),
    ("cohorts", "y" * 101, "at most 100 characters"),
    ("location", "r" * 201, "at most 200 characters"),
    ("online_url", "zoom dot com", "starting with https://"),
    ("colour", "blue", "like #1a2b3c"),
    ("waitlist_size", "0", "from 1 to"),
    ("offer", "8", "at most 7 days"),
    ("timezone", "Mars/Olympus", "Not a valid choice"),
]


@pytest.mark.parametrize(("field", "value", "words"), BAD, ids=[f"{f}={v[:8]}" for f, v, _ in BAD])
def test_each_field_refusal_is_shown_next_to_it(client, auth, session, people, field, value,
                                                words):
    lee, *_ = people
    auth.login("lee")
    units = {"min_notice": {"min_notice_unit": "days"}, "offer": {"offer_unit": "days"}}
    response = post(client, NEW, form([lee.key], **{field: value}, **units.get(field, {})))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'<p class="appt-field-error" id="{field}-error">(.*?)</p>', html, re.S)
    assert error and words in error.group(1)
    tag = re.search(rf'<(?:input|select|textarea)[^>]*id="{field}"[^>]*>', html).group(0)
    assert f"{field}-error" in tag and 'aria-invalid="true"' in tag
    summary = html.split('class="appt-error-summary"')[1].split("</div>")[0]
    assert f'href="#{field}"' in summary and "data-appt-focus" in html
    assert session.scalars(select(AppointmentType)).first() is None


def test_no_host_is_refused_at_the_hosts(client, auth, people):
    lee, *_ = people
    auth.login("lee")
    response = post(client, NEW, form([]))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="hosts-error"' in html and "Choose at least one host" in html
    assert 'href="#hosts-0"' in html


def test_the_service_refusal_lands_at_its_field(client, auth, session, people, create_type,
                                                create_slot):
    lee, kim, _ada, _sam = people
    shared = create_type(hosts=(lee.key, kim.key))
    create_slot(type=shared, host_key=kim.key)
    auth.login("ada")
    response = post(client, edit_path(shared.id), form([lee.key], version="1"), LIST)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert re.search(r'id="hosts-error">.*open slots belong to hosts you are removing', html,
                     re.S)


# -- optimistic locking

def test_a_stale_edit_is_refused_with_the_saved_values_and_what_differed(
        client, auth, session, people, create_type):
    lee, _kim, ada, _sam = people
    advising = create_type(name="Advising", hosts=(lee.key,), capacity=3)
    auth.login("lee")
    read = client.get(edit_path(advising.id)).get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in read
    original = unescape(re.search(r'name="original" type="hidden" value="([^"]*)"',
                                       read).group(1))
    appointment_types.update(session, actor=as_user(ada), type_id=advising.id,
                             expected_version=1, capacity=6, location="Room 9")
    response = post(client, edit_path(advising.id),
                    form([lee.key], name="Advising", version="1", capacity="2",
                         location="", original=original))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else saved this type while you were editing" in page
    diff = re.sub(r' data-label="[^"]*"', "", page.split('class="appt-table appt-diff"')[1]
                  .split("</table>")[0])
    assert "Seats per slot</th><td>2</td><td>6</td><td>you and someone else</td>" in diff
    assert "Place</th><td>none</td><td>Room 9</td><td>someone else</td>" in diff
    assert "Reason required</th><td>yes</td><td>no</td><td>you</td>" in diff
    assert re.search(r'id="capacity"[^>]*value="6"', page)
    assert 'name="version" type="hidden" value="2"' in page
    session.rollback()
    session.expire_all()
    kept = session.get(AppointmentType, advising.id)
    assert kept.capacity == 6 and kept.version == 2
    assert len(audit_rows(session, advising.id, "type.updated")) == 1
    again = post(client, edit_path(advising.id),
                 form([lee.key], name="Advising", version="2", capacity="2"))
    assert again.status_code == 303


# -- deactivating and reactivating

def test_deactivate_and_reactivate_are_audited(client, auth, session, people, create_type):
    lee, *_ = people
    advising = create_type(hosts=(lee.key,))
    auth.login("lee")
    html = client.get(LIST).get_data(as_text=True)
    assert f"/types/{advising.id}/deactivate" in html
    token = csrf(client)
    response = client.post(f"/admin/appointments/types/{advising.id}/deactivate",
                           data={"csrf_token": token, "version": "1"})
    assert response.status_code == 303
    session.rollback()
    session.expire_all()
    assert session.get(AppointmentType, advising.id).active is False
    page = client.get(LIST).get_data(as_text=True)
    assert "deactivated: no new bookings" in page and f"/types/{advising.id}/reactivate" in page
    response = client.post(f"/admin/appointments/types/{advising.id}/reactivate",
                           data={"csrf_token": token, "version": "2"})
    assert response.status_code == 303, response.get_data(as_text=True)
    session.rollback()
    session.expire_all()
    assert session.get(AppointmentType, advising.id).active is True
    before_after = [(e.before["active"], e.after["active"])
                    for e in audit_rows(session, advising.id, "type.updated")]
    assert sorted(before_after) == [(False, True), (True, False)]


def test_a_stale_deactivation_changes_nothing(client, auth, session, people, create_type):
    lee, *_ = people
    advising = create_type(hosts=(lee.key,))
    auth.login("lee")
    response = client.post(f"/admin/appointments/types/{advising.id}/deactivate",
                           data={"csrf_token": csrf(client), "version": "7"})
    assert response.status_code == 303
    session.rollback()
    session.expire_all()
    assert session.get(AppointmentType, advising.id).active is True
    assert "changed since you read it" in client.get(LIST).get_data(as_text=True)


def test_deactivating_without_a_token_or_as_another_host_is_refused(
        client, auth, session, people, create_type):
    lee, kim, *_ = people
    theirs = create_type(hosts=(kim.key,))
    auth.login("lee")
    path = f"/admin/appointments/types/{theirs.id}/deactivate"
    assert client.post(path, data={"version": "1"}).status_code == 400
    assert client.post(path, data={"csrf_token": csrf(client), "version": "1"}
                       ).status_code == 403
    assert client.post("/admin/appointments/types/999999/deactivate",
                       data={"csrf_token": csrf(client)}).status_code == 404
    session.rollback()
    session.expire_all()
    assert session.get(AppointmentType, theirs.id).active is True


def test_an_unknown_type_is_not_found(client, auth, people):
    auth.login("ada")
    assert client.get(edit_path(999999)).status_code == 404


def test_types_start_in_the_viewers_zone(client, auth, people):
    auth.login("lee")
    html = client.get(NEW).get_data(as_text=True)
    assert '<option selected value="America/New_York">' in html
