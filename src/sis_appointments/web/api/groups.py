"""The OpenAPI document's groups of operations (its tags): each blueprint of the API is one
group, named in plain English with a description, and says whether only admins may call its
operations (``admins_only``: its services refuse anyone else, as tests/api/test_api_matrix.py
checks both ways). The document served says so as ``x-admins-only`` on the group; the staff
console shows a viewer only the groups they may call (``document_for``)."""

from __future__ import annotations

import flask_smorest

from sis_appointments.contract import SisUser

ADMINS_ONLY = "x-admins-only"


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint, its operations tagged ``group`` rather than its name."""

    def __init__(self, name: str, import_name: str, *, group: str, description: str,
                 admins_only: bool = False, **options):
        super().__init__(name, import_name, description=description, **options)
        self.tag = {"name": group, "description": description}
        if admins_only:
            self.tag[ADMINS_ONLY] = True

    def route(self, rule, *, parameters=None, tags=None, **options):
        return super().route(rule, parameters=parameters, tags=tags or [self.tag["name"]],
                             **options)


def document_for(document: dict, viewer: SisUser) -> dict:
    """``document`` less the groups only admins may call, unless ``viewer`` is one."""
    hidden = set() if viewer.has_role("admin") else {
        tag["name"] for tag in document.get("tags", ()) if tag.get(ADMINS_ONLY)}
    if not hidden:
        return document
    paths = {}
    for path, item in document["paths"].items():
        kept = {key: value for key, value in item.items()
                if not (isinstance(value, dict) and hidden & set(value.get("tags", ())))}
        if any(isinstance(value, dict) for value in kept.values()):
            paths[path] = kept
    return {**document, "paths": paths,
            "tags": [tag for tag in document["tags"] if tag["name"] not in hidden]}
