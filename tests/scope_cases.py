"""The vocabulary of the scope matrix: roles, expected statuses and cases (shared by
``test_scope`` and the per-area row modules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("organiser", "coord_asean", "coord_latf", "fp_tha", "fp_ken", "comms", "anonymous")
SIGNED_IN = ROLES[:-1]


def expect(default: int = 404, *, anonymous: int = 302, **by_role: int) -> dict[str, int]:
    """Expected status per role: ``default`` for every signed-in role not named."""
    unknown = set(by_role) - set(SIGNED_IN)
    assert not unknown, unknown
    return {**dict.fromkeys(SIGNED_IN, default), **by_role, "anonymous": anonymous}


@dataclass(frozen=True)
class Case:
    method: str
    url: str  # formatted with the world's ids, e.g. "/operations/{op}"
    expected: dict[str, int]
    data: dict[str, Any] = field(default_factory=dict)


G, P, PATCH = "GET", "POST", "PATCH"
A = "/api/v1"


def api_expect(default: int = 404, **by_role: int) -> dict[str, int]:
    return expect(default, anonymous=401, **by_role)
