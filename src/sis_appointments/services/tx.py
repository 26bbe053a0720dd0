"""The one way services open a write transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """Commit what the block did, or roll all of it back if it raises."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
