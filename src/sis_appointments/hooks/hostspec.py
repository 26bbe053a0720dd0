"""Deprecated alias of :mod:`sis_appointments.hooks.sisspec` (renamed in 0.2)."""

import warnings

from sis_appointments.hooks.sisspec import *  # noqa: F403

warnings.warn("sis_appointments.hooks.hostspec is renamed sis_appointments.hooks.sisspec",
              DeprecationWarning, stacklevel=2)
