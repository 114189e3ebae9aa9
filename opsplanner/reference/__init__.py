"""Shipped reference data (countries with UN M49 regions, networks) and its loader."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
