"""Live updates: the Socket.IO namespace /appointments.

Anonymous connections are refused (the host's session, or ``auth={"token": ...}``).
Clients join rooms for what they look at: ``type:<id>`` (anyone), ``host:<key>`` (who
manages that calendar) and ``me`` (their own bookings and waitlist places). After a
transaction commits, small events go to those rooms: ``slot.availability``,
``booking.created|cancelled|rescheduled``, ``waitlist.promoted`` and ``waitlist.position``.
With SIS_APPOINTMENTS_REDIS_URL set, a Redis message queue carries them between worker
processes.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_socketio import SocketIO, join_room
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sis_appointments.models import AppointmentType, Slot, WaitlistEntry
from sis_appointments.models.scheduling import OPEN_WAITLIST_STATUSES
from sis_appointments.services.accounts import access, tokens
from sis_appointments.services.platform import events
from sis_appointments.web import db, permissions

NAMESPACE = "/appointments"
_identities: dict[str, object] = {}  # socket session id -> SisUser


def init_sockets(app: Flask, settings: dict) -> SocketIO:
    socketio = SocketIO(app, async_mode=settings["SIS_APPOINTMENTS_SOCKETIO_ASYNC_MODE"],
                        message_queue=settings["SIS_APPOINTMENTS_REDIS_URL"],
                        channel="sis-appointments", manage_session=False)
    socketio.on_event("connect", _connect, namespace=NAMESPACE)
    socketio.on_event("disconnect", _disconnect, namespace=NAMESPACE)
    socketio.on_event("join", _join, namespace=NAMESPACE)
    events.subscribe(app.extensions["sis_appointments"].sessionmaker,
                     lambda event, bind: emit_for(socketio, event, bind))
    return socketio


def _connect(auth=None):
    identity = None
    token = (auth or {}).get("token") if isinstance(auth, dict) else None
    if token:
        row = tokens.authenticate(db.session(), str(token))
        if row is not None:
            pm = current_app.extensions["sis_appointments"].pm
            identity = pm.hook.appointments_get_user(user_key=row.user_key)
    else:
        identity = permissions.current_identity()
    if identity is None:
        return False  # refused: anonymous
    _identities[request.sid] = identity
    join_room(f"user:{identity.key}")
    return True


def _disconnect(*_args):
    _identities.pop(request.sid, None)


def _join(data):
    """Join ``type:<id>``, ``host:<key>`` or ``me``; answers {"ok": bool, "room": ...}."""
    identity = _identities.get(request.sid)
    room = str((data or {}).get("room", "")) if isinstance(data, dict) else ""
    kind, _, value = room.partition(":")
    session = db.session()
    allowed = False
    if room == "me":
        room, allowed = f"user:{identity.key}", True
    elif kind == "type" and value.isdigit():
        allowed = session.get(AppointmentType, int(value)) is not None
    elif kind == "host" and value:
        allowed = access.can_manage_host(session, identity, value)
    if allowed:
        join_room(room)
    return {"ok": allowed, "room": room}


def emit_for(socketio: SocketIO, event, bind) -> None:
    """Turn one committed AppointmentEvent into the socket events it means."""
    slot_id = event.data.get("slot_id")
    with Session(bind=bind) as session:
        slot = session.get(Slot, slot_id) if slot_id else None
        if slot is None:
            return
        rooms = [f"type:{slot.type_id}", f"host:{slot.host_key}"]
        name = {"booking_created": "booking.created", "booking_cancelled": "booking.cancelled",
                "booking_rescheduled": "booking.rescheduled",
                "waitlist_promoted": "waitlist.promoted"}.get(event.name)
        student = event.data.get("student_key")
        if name:
            payload = {"id": event.entity_id, **{k: v for k, v in event.data.items()
                                                  if k in ("slot_id", "booking_id",
                                                           "old_slot_id", "new_slot_id")}}
            targets = [f"host:{slot.host_key}"] + ([f"user:{student}"] if student else [])
            for room in targets:
                socketio.emit(name, payload, to=room, namespace=NAMESPACE)
        slots = {slot.id: slot}
        for other in (event.data.get("old_slot_id"), event.data.get("new_slot_id")):
            if other and other not in slots:
                slots[other] = session.get(Slot, other)
        for changed in slots.values():
            _availability(socketio, session, changed, rooms)
            _positions(socketio, session, changed)


def _availability(socketio: SocketIO, session: Session, slot: Slot, rooms) -> None:
    waiting = session.scalar(select(func.count()).select_from(WaitlistEntry).where(
        WaitlistEntry.slot_id == slot.id, WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES)))
    payload = {"slot_id": slot.id, "remaining": max(slot.capacity - slot.booked, 0),
               "capacity": slot.capacity, "waitlist_length": waiting, "status": slot.status}
    for room in {f"type:{slot.type_id}", f"host:{slot.host_key}", *rooms}:
        socketio.emit("slot.availability", payload, to=room, namespace=NAMESPACE)


def _positions(socketio: SocketIO, session: Session, slot: Slot) -> None:
    line = session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.slot_id == slot.id, WaitlistEntry.status.in_(OPEN_WAITLIST_STATUSES))
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)).all()
    for place, entry in enumerate(line, start=1):
        socketio.emit("waitlist.position", {"slot_id": slot.id, "entry_id": entry.id,
                                            "position": place},
                      to=f"user:{entry.student_key}", namespace=NAMESPACE)


