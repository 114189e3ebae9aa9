"""vCard 3.0 (RFC 2426) written by hand: a handful of properties, escaped as RFC 6350 §3.4
and RFC 2426 §4 require (backslash, comma, semicolon, newline) and folded at 75 octets."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

CRLF = "\r\n"
# Control characters other than newline would corrupt the card (a bare CR ends a line).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape(value: str) -> str:
    """A text value with its special characters escaped; any newline becomes ``\\n``."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = CONTROL.sub("", value)
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets, continuation lines starting
    with a space, never inside a UTF-8 sequence."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return CRLF.join(out)


@dataclass
class Card:
    uid: str
    full_name: str
    organisation: str = ""
    title: str = ""
    email: str = ""
    phone: str = ""
    note: str = ""
    categories: list[str] = field(default_factory=list)
    revision: datetime | None = None


def card(c: Card) -> str:
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"UID:{escape(c.uid)}",
        # One name field in the directory: names do not split the same way everywhere, so it
        # goes whole into the family-name component instead of being guessed apart.
        f"N:{escape(c.full_name)};;;;",
        f"FN:{escape(c.full_name)}",
    ]
    if c.organisation:
        lines.append(f"ORG:{escape(c.organisation)}")
    if c.title:
        lines.append(f"TITLE:{escape(c.title)}")
    if c.email:
        lines.append(f"EMAIL;TYPE=INTERNET:{escape(c.email)}")
    if c.phone:
        lines.append(f"TEL;TYPE=WORK,VOICE:{escape(c.phone)}")
    if c.categories:
        lines.append("CATEGORIES:" + ",".join(escape(x) for x in c.categories if x))
    if c.note:
        lines.append(f"NOTE:{escape(c.note)}")
    if c.revision:
        lines.append(f"REV:{c.revision.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    lines.append("END:VCARD")
    return "".join(fold(line) + CRLF for line in lines)


def cards(items: Iterable[Card]) -> str:
    return "".join(card(c) for c in items)
