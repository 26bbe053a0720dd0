"""Cached slot range bodies and the generations that make them stale.

A *generation* is a number that goes up on a change: ``slots`` on every committed event,
``tokens`` when an API token is revoked. Each process keeps the serialised bodies of slot
range answers it computed, keyed by the generation they were computed under, so a hit costs
no SQL, no Redis round trip and no serialisation.

With Redis (``SIS_APPOINTMENTS_REDIS_URL``) the generations are shared by every process of
the installation: a bump is one round trip (INCR and PUBLISH in one script) and every process
listens on the channel in a background thread, so it knows the current numbers without
asking. While its listener is not subscribed (starting, or Redis gone), a process asks Redis
on every read, and answers from nothing cached if Redis cannot be asked. A change reaches
other processes in the time a Redis message takes (well under a millisecond on one host); in
the process that made it, at once. Without Redis, generations are this process's own and
also move every ``SIS_APPOINTMENTS_LOCAL_CACHE_SECONDS`` (5 s): with several processes and
no Redis, another process's change shows in cached answers within that time.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable

import redis
from flask import Flask, Response, current_app, request

from sis_appointments.services.platform import events

log = logging.getLogger(__name__)

SLOTS = "slots"  # bumped by every committed event
TOKENS = "tokens"  # bumped when an API token is revoked (auth.py)
BODIES_LIMIT = 1000  # cached bodies per process; all are dropped when the generation moves
BYTES_LIMIT = 64 * 2**20  # ... and at most this many bytes of them
RETRY_SECONDS = 1.0  # pause before the listener subscribes again after losing Redis

_BUMP = """local value = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], ARGV[2] .. ' ' .. value)
return value"""


class ResponseCache:
    """Generations shared through Redis (or kept per process) and this process's bodies."""

    def __init__(self, redis_url: str | None, prefix: str, local_seconds: float = 5):
        self._prefix = prefix
        self._local_seconds = local_seconds
        self._client = self._listener = None
        if redis_url:  # commands answer within a second; the listener pings every 5 s
            self._client = redis.Redis.from_url(redis_url, socket_connect_timeout=1,
                                                socket_timeout=1)
            self._listener = redis.Redis.from_url(redis_url, socket_connect_timeout=1,
                                                  socket_timeout=10, health_check_interval=5)
        self._bump = self._client.register_script(_BUMP) if self._client else None
        self._known: dict[str, int] = {}
        self._live = False  # the listener is subscribed: self._known is current
        self._listener_pid: int | None = None
        self._lock = threading.Lock()
        self._bodies: dict[tuple, bytes] = {}
        self._bodies_generation = -1
        self._bytes = 0  # the size of the bodies kept

    # Generations ---------------------------------------------------------------------------

    def generation(self, name: str) -> int:
        if self._client is None:  # other processes' changes cannot be heard: age out
            return self._known.get(name, 0) << 32 | int(time.monotonic() // self._local_seconds)
        self._listen()
        if self._live and name in self._known:
            return self._known[name]
        try:
            value = int(self._client.get(self._prefix + name) or 0)
        except redis.RedisError as error:
            log.warning("Redis unreachable: generation %s unknown (%s)", name, error)
            return -1  # matches nothing cached; nothing computed now is kept (see body())
        if self._live:
            self._learn(name, value)
        return value

    def bump(self, name: str) -> None:
        if self._client is None:
            with self._lock:
                self._known[name] = self._known.get(name, 0) + 1
            return
        try:
            value = self._bump(keys=[self._prefix + name], args=[self._channel, name])
        except redis.RedisError as error:  # no process trusts a generation while Redis is away
            log.warning("Redis unreachable: generation %s not bumped (%s)", name, error)
            return
        self._learn(name, int(value))

    def _learn(self, name: str, value: int) -> None:
        with self._lock:  # generations only go up, whichever answer arrives last
            if value > self._known.get(name, -1):
                self._known[name] = value

    @property
    def _channel(self) -> str:
        return self._prefix + "generations"

    def _listen(self) -> None:
        """Start this process's listener (again after a fork)."""
        if self._listener_pid == os.getpid():
            return
        with self._lock:
            if self._listener_pid == os.getpid():
                return
            self._listener_pid, self._live, self._known = os.getpid(), False, {}
            threading.Thread(target=self._run, name="sis-appointments-generations",
                             daemon=True).start()

    def _run(self) -> None:
        pid, lost = os.getpid(), False
        while self._listener_pid == pid:
            pubsub = self._listener.pubsub()
            try:
                pubsub.subscribe(self._channel)
                confirmed = pubsub.get_message(timeout=5)
                if not confirmed or confirmed["type"] != "subscribe":
                    raise redis.ConnectionError("no confirmation of the subscription")
                with self._lock:  # from here on every change arrives as a message
                    self._known.clear()
                    self._bodies, self._bodies_generation = {}, -1
                    self._live = True
                if lost:
                    log.warning("generation listener has Redis again")
                    lost = False
                while self._listener_pid == pid:
                    message = pubsub.get_message(timeout=1.0)  # pings a quiet connection
                    if message and message["type"] == "message":
                        name, _, value = message["data"].decode().partition(" ")
                        self._learn(name, int(value))
            except (redis.RedisError, OSError, ValueError) as error:
                if not lost:  # once an outage, and no traceback: an outage is no bug
                    log.warning("generation listener lost Redis (%s); reading generations "
                                "from Redis until it is back", error)
                    lost = True
            finally:
                self._live = False
                pubsub.close()
            time.sleep(RETRY_SECONDS)

    def close(self) -> None:
        """Stop this process's listener and drop its connections (an app's end)."""
        self._listener_pid, self._live = None, False
        for client in (self._client, self._listener):
            if client is not None:
                client.close()

    # Bodies --------------------------------------------------------------------------------

    def peek(self, key: tuple) -> bytes | None:
        """The body kept for ``key`` under the current generation, if any."""
        generation = self.generation(SLOTS)
        if (self._client is not None and not self._live) or (
                generation != self._bodies_generation):
            return None
        return self._bodies.get(key)

    def body(self, key: tuple, compute: Callable[[], bytes]) -> bytes:
        """The cached body for ``key`` under the current slots generation, else
        ``compute()``'s. With Redis, bodies are kept only while the listener is subscribed,
        so a generation that Redis lost (a restart) cannot match a body from before."""
        generation = self.generation(SLOTS)
        if self._client is not None and not self._live:
            return compute()
        if generation != self._bodies_generation:
            self._bodies, self._bodies_generation, self._bytes = {}, generation, 0
        bodies = self._bodies
        found = bodies.get(key)
        if found is None:
            found = compute()
            if len(bodies) >= BODIES_LIMIT or self._bytes + len(found) > BYTES_LIMIT:
                bodies.clear()
                self._bytes = 0
            bodies[key] = found  # a dict of an older generation if one moved meanwhile
            self._bytes += len(found)
        return found

    def clear(self) -> None:
        """Forget this process's bodies and generations (tests)."""
        with self._lock:
            self._bodies, self._bodies_generation = {}, -1
            if self._client is None:
                self._known.clear()


def init_cache(app: Flask, settings: dict) -> ResponseCache:
    # Workers of one installation share the database, hence the prefix (and generations).
    database = hashlib.sha256(settings["SIS_APPOINTMENTS_DATABASE_URL"].encode()).hexdigest()
    cache = ResponseCache(settings["SIS_APPOINTMENTS_REDIS_URL"],
                          f"sis-appt:{database[:12]}:generation:",
                          settings["SIS_APPOINTMENTS_LOCAL_CACHE_SECONDS"])
    factory = app.extensions["sis_appointments"].sessionmaker
    events.subscribe(factory, lambda event, session: cache.bump(SLOTS))
    factory.kw["context"].generations = cache  # services keep settings by generation
    return cache


def _cache() -> ResponseCache:
    return current_app.extensions["sis_appointments"].cache


def token_generation() -> int:
    return _cache().generation(TOKENS)


def forget_tokens() -> None:
    """Make every process that shares Redis resolve tokens afresh (after a revocation)."""
    _cache().bump(TOKENS)


def body(key: tuple, compute: Callable[[], bytes]) -> bytes:
    """``compute()``'s bytes, kept by this process under ``key`` until the next committed
    change (the key must name everything the bytes depend on, the viewer included)."""
    return _cache().body(key, compute)


def _key(name: str, extra: str) -> tuple:
    return (name, extra, tuple(sorted(request.args.items(multi=True))))


def cached_json(name: str, extra: str, compute: Callable[[], bytes]) -> Response:
    """A JSON response with ``compute()``'s body, cached under the request's query, ``extra``
    and the current generation."""
    return Response(_cache().body(_key(name, extra), compute), mimetype="application/json")


def served_first(name: str, extra: Callable[[], str]):
    """Decorate a GET view that answers with ``cached_json(name, extra(), ...)``: a kept
    answer is sent before the view's arguments are even parsed (only valid queries were
    ever kept)."""
    def decorate(view):
        @functools.wraps(view)
        def first(*args, **kwargs):
            found = _cache().peek(_key(name, extra()))
            if found is not None:
                return Response(found, mimetype="application/json")
            return view(*args, **kwargs)
        return first
    return decorate
