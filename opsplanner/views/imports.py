"""Results reporting pages: imports (filled in by the results work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("imports", __name__)
