"""API for results reporting: completeness (filled in by the results work)."""

from __future__ import annotations

from typing import Any

SCHEMAS: dict[str, Any] = {}


def docs() -> dict[str, Any]:
    return {}
