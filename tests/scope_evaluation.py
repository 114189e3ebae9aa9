"""Scope-matrix rows for the evaluation pages and API (see tests/scope_cases.py for the vocabulary).
Filled in with the routes of that area; may define extend_world(ids) to add its records."""

from __future__ import annotations

from tests.scope_cases import Case

WEB: dict[str, list[Case]] = {}
API: dict[str, list[Case]] = {}
