"""Deprecated alias of :mod:`sis_appointments.contract` (renamed in 0.2: "host" now means only
the staff member who hosts a slot). ``HostUser`` is the old name of ``SisUser``."""

import warnings

from sis_appointments.contract import *  # noqa: F403
from sis_appointments.contract import SisUser as HostUser  # noqa: F401

warnings.warn("sis_appointments.host is renamed sis_appointments.contract",
              DeprecationWarning, stacklevel=2)
