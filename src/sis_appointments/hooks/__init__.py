"""The pluggy markers of the `sis` hook protocol (hosts and plugins share the project name)."""

import pluggy

PROJECT = "sis"
ENTRY_POINT_GROUP = "sis.plugins"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
