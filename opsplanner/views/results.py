"""Results reporting pages: results (filled in by the results work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("results", __name__)
