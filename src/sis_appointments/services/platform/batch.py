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


def run(session: Session, operations: list[Callable[[], dict]], *, all_or_nothing: bool
        ) -> tuple[bool, list[dict]]:
    """Run each operation (a service call returning a dict); returns whether anything was
    applied and one report per operation: ``{"index", "ok", "result" | "error"}``."""
    reports: list[dict] = []
    try:
        with tx.transaction(session):
            session.in_batch = True
            try:
                for index, operation in enumerate(operations):
                    queued = session.pending_events
                    mark = len(queued)
                    try:
                        reports.append({"index": index, "ok": True, "result": operation()})
                    except SchedulingError as error:
                        del queued[mark:]  # a refused step announces nothing
                        reports.append({"index": index, "ok": False, "error": error})
                        if all_or_nothing:
                            raise _RollBack from error
            finally:
                session.in_batch = False
    except _RollBack:
        for report in reports:
            if report["ok"]:
                report["ok"], report["rolled_back"] = False, True
        return False, reports
    return any(r["ok"] for r in reports), reports
