"""Cached slot range responses (Flask-Caching: in-process, or Redis when configured).

Every committed event bumps a generation number that is part of each cache key, so once a
change has committed and been announced, no later request is answered from before it.
"""

from __future__ import annotations

import hashlib

from flask import Flask, current_app, request
from flask_caching import Cache

from sis_appointments.services.platform import events

GENERATION = "generation"
TIMEOUT = 60  # seconds; the generation makes entries stale long before this


def init_cache(app: Flask, settings: dict) -> Cache:
    redis_url = settings["SIS_APPOINTMENTS_REDIS_URL"]
    # Workers of one installation share the database, hence the prefix (and generation).
    database = hashlib.sha256(settings["SIS_APPOINTMENTS_DATABASE_URL"].encode()).hexdigest()
    config = {"CACHE_KEY_PREFIX": f"sis-appt:{database[:12]}:",
              "CACHE_DEFAULT_TIMEOUT": TIMEOUT}
    config.update({"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url} if redis_url
                  else {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000})
    cache = Cache(config=config)
    cache.init_app(app)
    events.subscribe(app.extensions["sis_appointments"].sessionmaker,
                     lambda event, session: _bump(cache))
    return cache


def _bump(cache: Cache) -> None:
    if cache.cache.inc(GENERATION) is None:  # the backend's atomic increment
        cache.set(GENERATION, 1, timeout=0)


TOKENS = "tokens"  # the generation of resolved API tokens (auth.py)


def token_generation() -> int:
    return _cache().get(TOKENS) or 0


def forget_tokens() -> None:
    """Make every process that shares the cache resolve tokens afresh (after a revocation)."""
    cache = _cache()
    if cache.cache.inc(TOKENS) is None:
        cache.set(TOKENS, 1, timeout=0)


def _cache() -> Cache:
    return current_app.extensions["sis_appointments"].cache


def cached(name: str, extra: str, compute):
    """``compute()``'s result, cached under the request's query, ``extra`` and the current
    generation."""
    cache = _cache()
    generation = cache.get(GENERATION) or 0
    key = f"{name}:{generation}:{extra}:{sorted(request.args.items(multi=True))}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found)
    return found
