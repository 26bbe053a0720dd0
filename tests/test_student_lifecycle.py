"""The plugin's answers to the host's student lifecycle hooks."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from sis_appointments.models import AuditEntry, Booking, Slot, WaitlistEntry

PAST = datetime(2020, 5, 4, 9, tzinfo=UTC)


def statuses(session, student_key):
    session.expire_all()
    return sorted(session.scalars(select(Booking.status).where(Booking.student_key == student_key)))


def test_admin_deactivating_a_student_cancels_future_bookings_and_waitlists(
    client, auth, session, create_user, create_slot, create_booking
):
    ana = create_user(username="ana")
    create_user(username="boss", role="admin")
    future = create_slot(capacity=2)
    full = create_slot(capacity=1)
    create_booking(ana.key, future)
    create_booking("other", full)
    create_booking(ana.key, create_slot(start=PAST), status="attended")
    session.add(WaitlistEntry(slot_id=full.id, student_key=ana.key))
    session.commit()

    auth.login("boss")
    token = auth.csrf_token(f"/students/{ana.id}")
    response = client.post(f"/students/{ana.id}/deactivate", data={"csrf_token": token})
    assert response.status_code == 302

    assert statuses(session, ana.key) == ["attended", "cancelled"]
    assert session.get(Slot, future.id).booked == 0, "the seat is free again"
    waiting = session.scalars(select(WaitlistEntry.status)).all()
    assert waiting == ["removed"]
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["booking.cancelled", "waitlist.removed"]


def test_only_admins_deactivate_and_only_with_csrf(client, auth, create_user):
    ana = create_user(username="ana")
    create_user(username="adv", role="staff")
    create_user(username="boss", role="admin")
    auth.login("adv")
    token = auth.csrf_token(f"/students/{ana.id}")
    response = client.post(f"/students/{ana.id}/deactivate", data={"csrf_token": token})
    assert response.status_code == 403
    auth.logout()
    auth.login("boss")
    assert client.post(f"/students/{ana.id}/deactivate").status_code == 400
    assert "Deactivate student" in client.get(f"/students/{ana.id}").get_data(as_text=True)


def test_deactivation_announces_cancellations_after_commit(
    app, session, create_booking, event_recorder
):
    recorder = event_recorder
    booking = create_booking("s9")
    with app.app_context():
        app.extensions["sis_plugins"].hook.sis_student_deactivated(student_key="s9")
    assert [(hook, event.entity_id) for hook, event in recorder.seen] == [
        ("appointments_booking_cancelled", booking.id)]


def test_merge_moves_bookings_and_keeps_one_seat_per_slot(
    app, session, create_slot, create_booking
):
    shared = create_slot(capacity=3)
    own = create_slot(capacity=3)
    create_booking("old", shared)
    create_booking("new", shared)
    moved = create_booking("old", own)
    session.add(WaitlistEntry(slot_id=create_slot().id, student_key="old"))
    session.commit()
    with app.app_context():
        app.extensions["sis_plugins"].hook.sis_students_merged(source_key="old", target_key="new")
    assert statuses(session, "old") == []
    assert statuses(session, "new") == ["cancelled", "confirmed", "confirmed"], "history moves too"
    assert session.get(Booking, moved.id).student_key == "new"
    assert session.get(Slot, shared.id).booked == 1
    assert session.scalars(select(WaitlistEntry.student_key)).all() == ["new"]


def test_student_changes_are_audited(app, session):
    with app.app_context():
        app.extensions["sis_plugins"].hook.sis_student_changed(
            student_key="s1", changes={"email": "new@example.edu"})
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.entity_id, entry.after) == (
        "student.changed", "s1", {"email": "new@example.edu"})


def test_deactivating_asks_first(client, auth, session, create_user):
    ana = create_user(username="ana", name="Ana Student")
    create_user(username="boss", role="admin")
    auth.login("boss")
    profile = client.get(f"/students/{ana.id}").get_data(as_text=True)
    assert f'href="/students/{ana.id}/deactivate"' in profile
    page = client.get(f"/students/{ana.id}/deactivate").get_data(as_text=True)
    assert "Deactivate Ana Student?" in page and "upcoming appointments are cancelled" in page
    assert "Keep them active" in page
    from demo_sis.extensions import db
    from demo_sis.models import User

    with client.application.app_context():
        assert db.session.get(User, ana.id).student.active  # nothing happened yet
