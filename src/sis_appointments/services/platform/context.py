"""The typed context every plugin session carries, instead of string keys in ``session.info``.

``ServiceContext`` is shared by all sessions of the plugin's sessionmaker: the SIS's plugin
manager, the plugin's settings, the notification channels people may choose and the
listeners told of committed events. Each ``AppointmentsSession`` adds what belongs to one
unit of work: the request it serves (for the audit log), the events waiting for commit and
whether it runs inside a batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pluggy
from sqlalchemy.orm import Session

from sis_appointments.contract import AppointmentEvent

BUILTIN_CHANNELS = ("email", "inapp")


@dataclass
class ServiceContext:
    pm: pluggy.PluginManager
    settings: dict = field(default_factory=dict)
    channels: tuple[str, ...] = BUILTIN_CHANNELS
    listeners: list[Callable] = field(default_factory=list)
    after_commit: Callable | None = None  # events.deliver, run by tx.transaction
    # Shared generation numbers (the web layer's response cache: ``generation(name)`` and
    # ``bump(name)``), so services can keep what rarely changes across units of work.
    generations: object | None = None
    shared: dict = field(default_factory=dict)  # what services keep for this process


class AppointmentsSession(Session):
    """A session of the plugin (made by ``database.make_sessionmaker``)."""

    def __init__(self, *args, context: ServiceContext, request_id: str | None = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.context = context
        self.request_id = request_id
        self.pending_events: list[AppointmentEvent] = []
        self.committed_events: list[AppointmentEvent] = []
        self.in_batch = False
        self.memo: dict = {}  # the SIS's answers, for this unit of work (services.platform.sis)
        # Run first in the next write transaction, once (e.g. claiming an Idempotency-Key).
        self.on_begin: list[Callable[[Session], None]] = []
        self.claiming: list = []  # Idempotency-Keys claimed in the open transaction
        self.claimed: list = []  # ... and those whose transaction committed
