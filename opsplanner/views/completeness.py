"""Results reporting pages: completeness (filled in by the results work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("completeness", __name__)
