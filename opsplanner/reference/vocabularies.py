"""Shipped controlled vocabularies: commodity categories, units and conveyances."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from opsplanner.reference import DATA_DIR


@cache
def _commodity_file() -> dict[str, Any]:
    with (DATA_DIR / "commodities.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def commodities() -> dict[str, str]:
    return {c["code"]: c["name"] for c in _commodity_file()["commodities"]}


def commodity_units() -> dict[str, list[str]]:
    return {c["code"]: list(c["units"]) for c in _commodity_file()["commodities"]}


def units() -> dict[str, str]:
    return {u["code"]: u["name"] for u in _commodity_file()["units"]}


def conveyances() -> dict[str, str]:
    return {c["code"]: c["name"] for c in _commodity_file()["conveyances"]}


def activity_type_entries() -> list[dict[str, str]]:
    with (DATA_DIR / "activity_types.json").open(encoding="utf-8") as fh:
        return json.load(fh)["activity_types"]
