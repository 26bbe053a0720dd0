"""``flask appointments ...``: the plugin's commands."""

from __future__ import annotations

import click
from alembic.util import CommandError
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from sis_appointments import migrate
from sis_appointments.services.scheduling import series, waitlist
from sis_appointments.web import db

appointments = AppGroup("appointments", help="Appointment scheduling (sis-appointments).")


@appointments.group("db")
def db_group():
    """Create, upgrade or downgrade the plugin's appt_* tables."""


def _run(action, *args) -> None:
    engine = current_app.extensions["sis_appointments"].engine
    try:
        action(engine, *args)
    except CommandError as exc:
        raise click.ClickException(str(exc)) from exc
    except SQLAlchemyError as exc:
        raise click.ClickException(
            f"database {engine.url.render_as_string(hide_password=True)} failed: "
            f"{getattr(exc, 'orig', None) or exc}"
        ) from exc


@db_group.command("upgrade")
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Upgrade the appt_* tables to REVISION (default: the newest)."""
    _run(migrate.upgrade, revision)
    click.echo(f"sis-appointments schema upgraded to {revision}")


@db_group.command("downgrade")
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Downgrade the appt_* tables to REVISION ('base' removes them all)."""
    _run(migrate.downgrade, revision)
    click.echo(f"sis-appointments schema downgraded to {revision}")


@db_group.command("current")
def current() -> None:
    """Show the revision the database is at."""
    engine = current_app.extensions["sis_appointments"].engine
    try:
        revision = migrate.current(engine)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"database failed: {getattr(exc, 'orig', None) or exc}") from exc
    click.echo(revision or "none (run: flask appointments db upgrade)")


@appointments.command("extend-horizon")
def extend_horizon() -> None:
    """Materialise recurring series up to the horizon (run daily, e.g. from cron)."""
    click.echo(f"{series.extend_all(db.session())} slots created")


@appointments.command("expire-offers")
def expire_offers() -> None:
    """Expire waitlist offers past their time and pass the seats on (run every minute)."""
    click.echo(f"{waitlist.expire_offers(db.session())} offers expired")


@appointments.command("reconcile-waitlists")
def reconcile_waitlists() -> None:
    """Promote wherever a free seat sits beside a student waiting who could take it (the
    worker does this every 5 minutes)."""
    click.echo(f"{waitlist.reconcile(db.session())} waiting places moved on")


@appointments.command("worker")
def worker() -> None:
    """Run the background jobs (delivery, reminders, offers, horizon, digest) until stopped.

    Start one or several: each job still runs once per interval (a lease in the database).
    """
    import logging

    from sis_appointments import jobs

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    state = current_app.extensions["sis_appointments"]
    click.echo("sis-appointments worker: " + ", ".join(
        f"{name} every {int(job.every.total_seconds())}s" for name, job in jobs.JOBS.items()))
    try:
        jobs.scheduler(state, current_app._get_current_object(), blocking=True).start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("worker stopped")


@appointments.command("run-job")
@click.argument("name")
def run_job(name: str) -> None:
    """Run one background job now (if no other process runs it and it is due)."""
    from sis_appointments import jobs

    if name not in jobs.JOBS:
        raise click.BadParameter(f"choose from {', '.join(jobs.JOBS)}", param_hint="NAME")
    result = jobs.run_job(current_app.extensions["sis_appointments"], name, jobs.holder_name())
    click.echo(f"{name}: {result}" if result is not None else
               f"{name}: not run (another process holds it, or it ran recently)")
