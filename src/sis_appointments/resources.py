"""Files shipped inside the package (templates, migrations, static), found via importlib."""

from __future__ import annotations

from importlib import resources


def package_path(name: str) -> str:
    """Filesystem path of a folder shipped in the sis_appointments package."""
    return str(resources.files("sis_appointments") / name)
