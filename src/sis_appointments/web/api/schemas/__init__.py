"""Marshmallow schemas of API v1: what each request may set and what each response shows.

Request schemas list only the fields their action allows, and unknown fields are refused,
so a student cannot set ``status``, ``student`` or ``capacity`` by adding them to a body.

One module per resource (the ``*_api`` module it serves is named in its docstring);
``common`` holds what they share. Nothing is re-exported here: import from the module.
"""
