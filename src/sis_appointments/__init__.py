"""Appointment scheduling for student information systems, as a Flask plugin."""

from sis_appointments.hooks import hookimpl
from sis_appointments.plugin import AppointmentsPlugin, init_app

__version__ = "0.2.0"
__all__ = ["AppointmentsPlugin", "hookimpl", "init_app", "__version__"]
