"""Live updates: the Socket.IO namespace /appointments.

Anonymous connections are refused (the host's session, or ``auth={"token": ...}``).
Clients join rooms for what they look at: ``type:<id>`` (anyone), ``host:<key>`` (who
manages that calendar) and ``me`` (their own bookings and waitlist places). After a
transaction commits, the messages ``services.notifications.live`` derives go to those rooms.
With SIS_APPOINTMENTS_REDIS_URL set, a Redis message queue carries them between worker
processes.
"""

from __future__ import annotations

import json

from flask import Flask, current_app, request
from flask_socketio import SocketIO, join_room

from sis_appointments.models import AppointmentType
from sis_appointments.services.accounts import access, tokens
from sis_appointments.services.notifications import live
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
                     lambda event, session: emit_for(socketio, event, session))
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
    if identity is None:  # gone (disconnected) before its join was handled
        return {"ok": False, "room": None}
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
        try:
            join_room(room)
        except ValueError:  # disconnected meanwhile: nothing to join
            allowed = False
    return {"ok": allowed, "room": room}


def emit_for(socketio: SocketIO, event, session) -> None:
    """Send the socket messages one committed AppointmentEvent means (``live.messages``):
    one emit (one message on the queue) per distinct message, to all of its rooms; a
    message another event of the same commit already sent is not sent again."""
    rooms: dict[tuple[str, str], list[str]] = {}
    payloads = {}
    sent = session.memo.setdefault(events.AFTER_COMMIT, {}).setdefault("sent", set())
    for message in live.messages(session, event):
        key = (message.event, json.dumps(message.payload, sort_keys=True, default=str))
        if (key, message.room) in sent:
            continue  # the same hint, already sent for another event of this commit
        sent.add((key, message.room))
        payloads[key] = message.payload
        rooms.setdefault(key, []).append(message.room)
    for key, to in rooms.items():
        socketio.emit(key[0], payloads[key], to=to, namespace=NAMESPACE)
