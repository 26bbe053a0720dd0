"""The plugin's implementations of the host's hooks (entry point group sis.plugins)."""

from __future__ import annotations

from flask import render_template, url_for

from sis_appointments import demo
from sis_appointments.contract import MenuEntry, PortalTab, ProfileSection
from sis_appointments.hooks import hookimpl, specs
from sis_appointments.plugin import init_app
from sis_appointments.services.accounts import access
from sis_appointments.services.scheduling import my_appointments, students
from sis_appointments.web import db, permissions
from sis_appointments.web import unread as web_unread


@hookimpl
def sis_add_hookspecs(pm):
    pm.add_hookspecs(specs)


@hookimpl
def sis_init_app(app, pm):
    init_app(app, pm=pm)


@hookimpl
def sis_portal_tabs(user):
    identity = permissions.identify(user)
    if identity is None or not identity.has_role("student"):
        return []
    home = url_for("appointments_portal.index")
    unread = web_unread(identity.key)
    return [PortalTab("appointments", "Appointments", home, 50, paths=(home,), badge=unread,
                      badge_label=f"{unread} unread notification{'' if unread == 1 else 's'}")]


@hookimpl
def sis_admin_menu(user):
    identity = permissions.identify(user)
    if identity is None or not identity.has_role("staff", "admin"):
        return []
    entries = [
        MenuEntry("appointments", "Appointments", url_for("appointments_admin.dashboard"), 50)
    ]
    if identity.has_role("admin"):
        entries.append(
            MenuEntry(
                "appointments-audit", "Appointments audit log",
                url_for("appointments_admin.audit_log"), 51,
            )
        )
        entries.append(MenuEntry("appointments-notifications", "Appointment notifications",
                                 url_for("appointments_admin.notifications"), 52))
    return entries


@hookimpl
def sis_student_profile_sections(student_key, viewer):
    from sis_appointments.web import db
    identity = permissions.identify(viewer)
    if not permissions.can_view_student(identity, student_key):
        return []
    session = db.session()
    mine = my_appointments.overview(session, str(student_key), waitlist=False)
    managed = None if identity.key == str(student_key) else access.managed_hosts(session,
                                                                                 identity)
    linkable = {b.id for b in mine.upcoming + mine.history
                if managed is None or b.slot.host_key in managed}  # details they may open
    html = render_template(
        "appointments/portal/profile_section.html", mine=mine, linkable=linkable,
        zone=permissions.display_zone(identity), own=managed is None,
    )
    return [ProfileSection("appointments", "Appointments", html, 50)]


@hookimpl
def sis_seed_demo(staff_keys, student_keys, timezone):
    made = demo.seed(db.session(), list(staff_keys), list(student_keys), timezone)
    if made is not None:
        return f"Appointments: 3 types with weekly series, and {made} bookings."
    return None


@hookimpl
def sis_student_changed(student_key, changes):
    students.record_change(db.session(), str(student_key), changes)


@hookimpl
def sis_student_deactivated(student_key):
    students.deactivate(db.session(), str(student_key))


@hookimpl
def sis_students_merged(source_key, target_key):
    students.merge(db.session(), str(source_key), str(target_key))
