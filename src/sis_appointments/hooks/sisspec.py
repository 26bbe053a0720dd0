"""Hooks a host SIS calls on its plugins.

A host adopts the protocol by adding this module to its ``pluggy.PluginManager("sis")``,
loading the plugins of the ``sis.plugins`` entry point group, calling ``sis_add_hookspecs``
and then ``sis_init_app``. The other hooks are called while it renders pages or when its
student records change.
"""

from __future__ import annotations

from sis_appointments.hooks import hookspec


@hookspec
def sis_add_hookspecs(pm):
    """Add the plugin's own hook specifications to the host's plugin manager ``pm``.

    Called once, right after the plugins are loaded and before ``sis_init_app``, so that
    the host's implementations of those hooks are checked against their specs.
    """


@hookspec
def sis_init_app(app, pm):
    """Set the plugin up on the Flask ``app``: blueprints, CLI commands, extensions.

    ``pm`` is the host's plugin manager, through which the plugin calls the host's hooks.
    """


@hookspec
def sis_portal_tabs(user):
    """Return a list of ``PortalTab`` to show in the portal of the logged-in ``user``.

    ``user`` is the host's own user object. Return an empty list for users who should not
    see a tab. The host sorts all tabs by priority.
    """


@hookspec
def sis_student_profile_sections(student_key, viewer):
    """Return a list of ``ProfileSection`` for the profile page of student ``student_key``.

    ``viewer`` is the host's user object of whoever looks at the page; a plugin returns
    nothing for a viewer who may not see its section. Each section is an HTML fragment that
    the plugin rendered with its own templates; the host places it by priority.
    """


@hookspec
def sis_admin_menu(user):
    """Return a list of ``MenuEntry`` for the admin menu of ``user`` (empty if none)."""


@hookspec
def sis_student_changed(student_key, changes):
    """Student ``student_key`` changed; ``changes`` maps field names to their new values."""


@hookspec
def sis_student_deactivated(student_key):
    """Student ``student_key`` was deactivated or withdrew; drop their future commitments."""


@hookspec
def sis_students_merged(source_key, target_key):
    """Two records of one student were merged; ``source_key`` now lives on as ``target_key``."""


@hookspec
def sis_seed_demo(staff_keys, student_keys, timezone):
    """The host's demo seed ran: add the plugin's own demo data for these users.

    ``timezone`` is the campus zone. Must be idempotent: a second call adds nothing.
    Return a one-line summary for the host to print, or None.
    """
