"""Portal, students directory, student profiles and the admin menu."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from demo_sis import plugins
from demo_sis.auth import CsrfForm, roles_required
from demo_sis.extensions import db
from demo_sis.models import Student, User
from sis_appointments.contract import MenuEntry, PortalTab, ProfileSection

bp = Blueprint("main", __name__)
PAGE_SIZE = 50


@bp.app_context_processor
def _layout():
    if not current_user.is_authenticated:
        return {}
    tabs = []
    if current_user.role == "student":
        tabs = [PortalTab("overview", "Overview", url_for("main.portal"), 0)]
        tabs += plugins.collect(plugins.hook().sis_portal_tabs(user=current_user))
    return {"portal_tabs": tabs, "csrf_form": CsrfForm()}


@bp.get("/")
@login_required
def home():
    if current_user.role == "student":
        return redirect(url_for("main.portal"))
    return redirect(url_for("main.admin"))


@bp.get("/portal")
@roles_required("student")
def portal():
    return render_template("portal.html", student=current_user.student)


@bp.get("/students")
@roles_required("staff", "admin")
def students():
    q = request.args.get("q", "").strip()[:100]
    program = request.args.get("program", "").strip()[:100]
    page = request.args.get("page", 1, type=int) or 1
    query = select(Student).join(Student.user)
    if q:
        pattern = f"%{q}%"
        query = query.where(or_(User.name.ilike(pattern), User.email.ilike(pattern),
                                Student.student_number.ilike(pattern)))
    if program:
        query = query.where(Student.program == program)
    page = min(max(page, 1), 100_000)  # the offset stays within what the database holds
    pagination = db.paginate(query.order_by(User.name), page=page, per_page=PAGE_SIZE,
                             error_out=False)
    programs = db.session.scalars(select(Student.program).distinct().order_by(Student.program))
    total = db.session.scalar(select(func.count()).select_from(Student))
    return render_template("students.html", pagination=pagination, q=q, program=program,
                           programs=list(programs), total=total)


@bp.get("/students/<int:user_id>")
@login_required
def profile(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or user.student is None:
        abort(404)
    if current_user.role == "student" and current_user.id != user.id:
        abort(403)
    timetable = render_template("_timetable.html", student=user.student)
    sections = [ProfileSection("timetable", "Timetable", timetable, 10)]
    sections += plugins.collect(
        plugins.hook().sis_student_profile_sections(student_key=str(user.id), viewer=current_user)
    )
    return render_template("profile.html", user=user, student=user.student,
                           sections=sorted(sections, key=lambda s: s.priority))


@bp.route("/students/<int:user_id>/deactivate", methods=["GET", "POST"])
@roles_required("admin")
def deactivate(user_id: int):
    """GET: what deactivating means, to confirm; POST: deactivate."""
    user = db.session.get(User, user_id)
    if user is None or user.student is None:
        abort(404)
    if request.method == "GET":
        return render_template("deactivate.html", user=user, form=CsrfForm())
    if not CsrfForm().validate_on_submit():
        abort(400)
    if user.student.active:
        user.student.active = False
        db.session.commit()
        plugins.hook().sis_student_deactivated(student_key=str(user.id))
        flash(f"{user.name} was deactivated.")
    return redirect(url_for("main.profile", user_id=user.id))


@bp.get("/admin")
@roles_required("staff", "admin")
def admin():
    entries = [MenuEntry("students", "Students directory", url_for("main.students"), 0)]
    entries += plugins.collect(plugins.hook().sis_admin_menu(user=current_user))
    return render_template("admin.html", entries=entries)


@bp.app_errorhandler(400)
@bp.app_errorhandler(403)
@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def _error(error):
    return render_template("error.html", error=error), error.code
