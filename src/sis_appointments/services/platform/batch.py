"""Many operations in one request: all or nothing (one transaction), or best effort (each
in a savepoint, failures reported and skipped). Events go out only for what committed."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from sis_appointments.domain.errors import SchedulingError
from sis_appointments.services.platform import tx

MAX_OPERATIONS = 200


class _RollBack(Exception):
    """Raised to undo an all-or-nothing batch after a failed operation."""


class _DryRun(Exception):
    """Raised to undo a batch run only to see what it would do."""


def run(session: Session, operations: list[Callable[[], dict]], *, all_or_nothing: bool,
        dry_run: bool = False, observe: Callable[[dict], None] | None = None
        ) -> tuple[bool, list[dict]]:
    """Run each operation (a service call returning a dict); returns whether anything was
    applied and one report per operation: ``{"index", "ok", "result" | "error"}``.
    ``dry_run``: run everything, then roll it all back (nothing is written or announced):
    the reports say exactly what running would do. ``observe(report)`` is called inside the
    transaction after each operation (to read what it wrote)."""
    reports: list[dict] = []
    try:
        with tx.transaction(session):
            session.in_batch = True
            try:
                for index, operation in enumerate(operations):
                    queued = session.pending_events
                    mark = len(queued)
                    try:
                        report = {"index": index, "ok": True, "result": operation()}
                    except SchedulingError as error:
                        del queued[mark:]  # a refused step announces nothing
                        report = {"index": index, "ok": False, "error": error}
                    reports.append(report)
                    if observe is not None:
                        observe(report)
                    if all_or_nothing and not report["ok"]:
                        raise _RollBack from report["error"]
            finally:
                session.in_batch = False
            if dry_run:
                raise _DryRun
    except _DryRun:
        return False, reports
    except _RollBack:
        for report in reports:
            if report["ok"]:
                report["ok"], report["rolled_back"] = False, True
        return False, reports
    return any(r["ok"] for r in reports), reports
