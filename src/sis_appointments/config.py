"""The SIS_APPOINTMENTS_* settings: defaults, and validation at start-up."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many

# The plugin's Content-Security-Policy (web.security sends it). Scripts only from the site
# itself (no inline script, no eval); styles from the site plus inline styles, which
# FullCalendar 6 inserts as a <style> element when it starts; images and fonts also as data:
# URLs (icons in the vendors' CSS); fetches and Socket.IO's websocket to the site itself
# ('self' covers ws:/wss: to the same host in CSP Level 3 browsers); no plugins, <base> only
# to the site, forms posted only to the site, and no page may frame these.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
REFERRER_POLICIES = (
    "no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin",
    "same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url",
)

DEFAULTS: dict[str, object] = {
    # SQLAlchemy URL of the database that holds the appt_* tables; None means the host's
    # SQLALCHEMY_DATABASE_URI, so the plugin's tables live beside the host's.
    "SIS_APPOINTMENTS_DATABASE_URL": None,
    # Where the student pages are mounted.
    "SIS_APPOINTMENTS_URL_PREFIX": "/appointments",
    # Where the staff pages are mounted.
    "SIS_APPOINTMENTS_ADMIN_URL_PREFIX": "/admin/appointments",
    # IANA zone used when neither the viewer nor the host names one.
    "SIS_APPOINTMENTS_DEFAULT_TIMEZONE": "UTC",
    # Connections per worker process to a server database (plus as many in overflow).
    "SIS_APPOINTMENTS_DB_POOL_SIZE": 10,
    # How many seconds a SQLite writer waits for the lock before giving up.
    "SIS_APPOINTMENTS_SQLITE_BUSY_TIMEOUT": 30,
    # Redis URL (redis://host:6379/0) carrying live updates between worker processes;
    # None keeps them in the process (one worker).
    "SIS_APPOINTMENTS_REDIS_URL": None,
    # Flask-SocketIO's async_mode: "threading" (default, works under any WSGI server with
    # simple-websocket), "eventlet" or "gevent" where the host runs on those.
    "SIS_APPOINTMENTS_SOCKETIO_ASYNC_MODE": "threading",
    # Without Redis, the longest a process trusts what it cached (slot range answers, the
    # settings) in seconds: other processes' changes cannot be heard. Unused with Redis.
    "SIS_APPOINTMENTS_LOCAL_CACHE_SECONDS": 5,
    # Booking writes (book, cancel, reschedule, waitlist, new tokens) per user.
    "SIS_APPOINTMENTS_RATE_LIMIT_WRITES": "20/minute",
    # All API calls per personal token.
    "SIS_APPOINTMENTS_RATE_LIMIT_TOKENS": "600/minute",
    # The site's public address (https://sis.example.edu), for links in emails and feeds.
    "SIS_APPOINTMENTS_PUBLIC_URL": None,
    # SMTP server for email notifications; None turns the email channel off.
    "SIS_APPOINTMENTS_SMTP_HOST": None,
    "SIS_APPOINTMENTS_SMTP_PORT": 25,
    # Upgrade the SMTP connection with STARTTLS before logging in.
    "SIS_APPOINTMENTS_SMTP_STARTTLS": False,
    # SMTP login, if the server wants one.
    "SIS_APPOINTMENTS_SMTP_USERNAME": None,
    "SIS_APPOINTMENTS_SMTP_PASSWORD": None,
    # The sender of notification emails; its domain also names calendar events (UIDs).
    "SIS_APPOINTMENTS_MAIL_FROM": "appointments@localhost",
    # Webhook endpoints: a list of {"name", "url", "secret", "events": [...] or ["*"]}.
    "SIS_APPOINTMENTS_WEBHOOKS": [],
    # Seconds an SMTP server or a webhook endpoint has to answer.
    "SIS_APPOINTMENTS_DELIVERY_TIMEOUT": 10,
    # Attempts before a notification becomes a dead letter (an admin can retry it).
    "SIS_APPOINTMENTS_OUTBOX_MAX_ATTEMPTS": 8,
    # Seconds before the first retry; each further retry waits twice as long (up to 6 h).
    "SIS_APPOINTMENTS_OUTBOX_BACKOFF": 30,
    # Run the background jobs (delivery, reminders, offers, horizon, digest) in this
    # process; any number of processes may, each job still runs once per interval.
    "SIS_APPOINTMENTS_RUN_JOBS": False,
    # A student directory over REST (for a SIS not written in Python): its base URL and
    # bearer token; None leaves student look-ups to the host's hooks.
    "SIS_APPOINTMENTS_DIRECTORY_URL": None,
    "SIS_APPOINTMENTS_DIRECTORY_TOKEN": None,
    # Seconds the directory has to answer, and how long its answers are kept.
    "SIS_APPOINTMENTS_DIRECTORY_TIMEOUT": 5,
    "SIS_APPOINTMENTS_DIRECTORY_CACHE_SECONDS": 300,
    # A stopped clock for tests and demo screenshots: an ISO 8601 instant with an offset (or
    # an aware datetime) that every request, socket event and CLI command of this app takes
    # as the current time. None (always, in production) is the real clock.
    "SIS_APPOINTMENTS_FIXED_NOW": None,
    # The Content-Security-Policy of the plugin's pages, API and static files (no inline
    # script); a host whose base template needs more sets its own, None sends none.
    "SIS_APPOINTMENTS_CONTENT_SECURITY_POLICY": CONTENT_SECURITY_POLICY,
    # Their Referrer-Policy; None sends none.
    "SIS_APPOINTMENTS_REFERRER_POLICY": "strict-origin-when-cross-origin",
}


class ConfigError(ValueError):
    """A SIS_APPOINTMENTS_* setting has a value the plugin cannot use."""


def load(config: dict) -> dict[str, object]:
    """Return the plugin's settings from a Flask config, defaults filled in and checked."""
    settings = {key: config.get(key, default) for key, default in DEFAULTS.items()}
    if settings["SIS_APPOINTMENTS_DATABASE_URL"] is None:
        settings["SIS_APPOINTMENTS_DATABASE_URL"] = config.get("SQLALCHEMY_DATABASE_URI")
    if not settings["SIS_APPOINTMENTS_DATABASE_URL"]:
        raise ConfigError(
            "SIS_APPOINTMENTS_DATABASE_URL is not set and the host has no SQLALCHEMY_DATABASE_URI"
        )
    for key in ("SIS_APPOINTMENTS_URL_PREFIX", "SIS_APPOINTMENTS_ADMIN_URL_PREFIX"):
        value = settings[key]
        if not isinstance(value, str) or not value.startswith("/") or value.endswith("/"):
            raise ConfigError(f"{key} must start with '/' and not end with one, got {value!r}")
    zone = settings["SIS_APPOINTMENTS_DEFAULT_TIMEZONE"]
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"SIS_APPOINTMENTS_DEFAULT_TIMEZONE {zone!r} is not an IANA zone"
        ) from exc
    mode = settings["SIS_APPOINTMENTS_SOCKETIO_ASYNC_MODE"]
    if mode not in ("threading", "eventlet", "gevent", "gevent_uwsgi"):
        raise ConfigError(f"SIS_APPOINTMENTS_SOCKETIO_ASYNC_MODE {mode!r} is not a Flask-SocketIO "
                          "async mode")
    redis_url = settings["SIS_APPOINTMENTS_REDIS_URL"]
    if redis_url is not None and not str(redis_url).startswith(("redis://", "rediss://")):
        raise ConfigError(f"SIS_APPOINTMENTS_REDIS_URL must be a redis:// URL, got {redis_url!r}")
    for key in ("SIS_APPOINTMENTS_RATE_LIMIT_WRITES", "SIS_APPOINTMENTS_RATE_LIMIT_TOKENS"):
        try:
            parse_many(str(settings[key]))
        except ValueError as exc:
            raise ConfigError(f"{key} must be a rate such as '20/minute', got "
                              f"{settings[key]!r}") from exc
    local = settings["SIS_APPOINTMENTS_LOCAL_CACHE_SECONDS"]
    if not isinstance(local, int | float) or isinstance(local, bool) or local <= 0:
        raise ConfigError("SIS_APPOINTMENTS_LOCAL_CACHE_SECONDS must be a positive number, got "
                          f"{local!r}")
    pool = settings["SIS_APPOINTMENTS_DB_POOL_SIZE"]
    if not isinstance(pool, int) or isinstance(pool, bool) or not 1 <= pool <= 1000:
        raise ConfigError(f"SIS_APPOINTMENTS_DB_POOL_SIZE must be 1-1000, got {pool!r}")
    timeout = settings["SIS_APPOINTMENTS_SQLITE_BUSY_TIMEOUT"]
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ConfigError(
            f"SIS_APPOINTMENTS_SQLITE_BUSY_TIMEOUT must be a positive number, got {timeout!r}"
        )
    _check_delivery(settings)
    _check_security_headers(settings)
    settings["SIS_APPOINTMENTS_FIXED_NOW"] = _instant(settings["SIS_APPOINTMENTS_FIXED_NOW"])
    return settings


def _check_security_headers(settings: dict) -> None:
    """The header settings: a policy is one line of text, or None for no header."""
    policy = settings["SIS_APPOINTMENTS_CONTENT_SECURITY_POLICY"]
    if policy is not None and (not isinstance(policy, str) or not policy.isprintable()):
        raise ConfigError("SIS_APPOINTMENTS_CONTENT_SECURITY_POLICY must be one line of text or "
                          f"None, got {policy!r}")
    referrer = settings["SIS_APPOINTMENTS_REFERRER_POLICY"]
    if referrer is not None and referrer not in REFERRER_POLICIES:
        raise ConfigError("SIS_APPOINTMENTS_REFERRER_POLICY must be a Referrer-Policy value "
                          f"({', '.join(REFERRER_POLICIES)}) or None, got {referrer!r}")


def _instant(value) -> datetime | None:
    """SIS_APPOINTMENTS_FIXED_NOW as an aware UTC datetime (None stays None)."""
    if value is None:
        return None
    try:
        instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise ConfigError("SIS_APPOINTMENTS_FIXED_NOW must be an ISO 8601 instant with an offset "
                          f"(2026-12-01T14:00:00+00:00), got {value!r}")
    return instant.astimezone(UTC)


def _positive(settings: dict, key: str, upper: float) -> None:
    value = settings[key]
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= upper:
        raise ConfigError(f"{key} must be a number above 0 and at most {upper}, got {value!r}")


def _check_delivery(settings: dict) -> None:
    for key, upper in (("SIS_APPOINTMENTS_SMTP_PORT", 65535),
                       ("SIS_APPOINTMENTS_DELIVERY_TIMEOUT", 300),
                       ("SIS_APPOINTMENTS_OUTBOX_MAX_ATTEMPTS", 100),
                       ("SIS_APPOINTMENTS_OUTBOX_BACKOFF", 86400),
                       ("SIS_APPOINTMENTS_DIRECTORY_TIMEOUT", 300),
                       ("SIS_APPOINTMENTS_DIRECTORY_CACHE_SECONDS", 86400)):
        _positive(settings, key, upper)
    sender = settings["SIS_APPOINTMENTS_MAIL_FROM"]
    if not isinstance(sender, str) or "@" not in sender:
        raise ConfigError(f"SIS_APPOINTMENTS_MAIL_FROM must be an email address, got {sender!r}")
    for key in ("SIS_APPOINTMENTS_PUBLIC_URL", "SIS_APPOINTMENTS_DIRECTORY_URL"):
        url = settings[key]
        if url is not None and not str(url).startswith(("http://", "https://")):
            raise ConfigError(f"{key} must be an http(s) URL, got {url!r}")
    hooks = settings["SIS_APPOINTMENTS_WEBHOOKS"]
    names = set()
    if not isinstance(hooks, list | tuple):
        raise ConfigError("SIS_APPOINTMENTS_WEBHOOKS must be a list of endpoints")
    for hook in hooks:
        ok = (isinstance(hook, dict) and isinstance(hook.get("name"), str)
              and 0 < len(hook["name"]) <= 50 and str(hook.get("url", "")).startswith(
                  ("http://", "https://")) and isinstance(hook.get("secret"), str)
              and len(hook["secret"]) >= 16 and isinstance(hook.get("events", ["*"]), list))
        if not ok or hook["name"] in names:
            raise ConfigError(
                "each of SIS_APPOINTMENTS_WEBHOOKS needs a unique name, an http(s) url, a "
                "secret of at least 16 characters and a list of events; check the one named "
                f"{hook.get('name') if isinstance(hook, dict) else hook!r}")
        names.add(hook["name"])
