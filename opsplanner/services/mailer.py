"""Plain-text e-mail through the SMTP server named in the settings, if there is one.

Installations on a closed network often have none: callers keep what they would send in an
outbox table and show it in the app instead."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from email.message import EmailMessage

from flask import current_app


def configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def send(recipients: Sequence[str], subject: str, body: str) -> None:
    cfg = current_app.config
    message = EmailMessage()
    message["From"] = cfg["SMTP_FROM"]
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=15) as smtp:
        if cfg.get("SMTP_STARTTLS"):
            smtp.starttls()
        if cfg.get("SMTP_USERNAME"):
            smtp.login(cfg["SMTP_USERNAME"], cfg.get("SMTP_PASSWORD") or "")
        smtp.send_message(message)
