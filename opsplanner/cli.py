"""``flask --app opsplanner <command>``: database, reference data, accounts, demo, serving."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from opsplanner.extensions import db
from opsplanner.models import Role


def register_commands(app: Flask) -> None:
    for command in (
        init_db,
        load_reference,
        create_user,
        create_token,
        demo,
        serve,
        reconcile_jobs,
    ):
        app.cli.add_command(command)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the schema to the newest migration."""
    if current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(current_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    upgrade()
    click.echo("database schema is up to date")


@click.command("load-reference")
@with_appcontext
def load_reference() -> None:
    """Load countries (ISO 3166-1, UN M49), networks, and the directory's seed (information
    sheets, tools and services); safe to run again: later edits are kept."""
    from opsplanner.services.directory_seed import load_directory_seed
    from opsplanner.services.reference import load_reference as load

    report = load()
    db.session.commit()
    click.echo(f"reference data loaded: {report}")
    seeded = load_directory_seed()
    db.session.commit()
    click.echo(f"directory seed loaded: {seeded}")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--country", help="ISO alpha-3, for focal points")
@click.option("--network", help="network acronym, for coordinators")
@click.password_option()
@with_appcontext
def create_user(
    email: str, name: str, role: str, country: str | None, network: str | None, password: str
) -> None:
    """Create an account (e.g. the first organiser)."""
    from sqlalchemy import select

    from opsplanner.models import Network
    from opsplanner.services import accounts
    from opsplanner.services.errors import DomainError

    network_id = None
    if network:
        net = db.session.scalar(select(Network).where(Network.acronym == network))
        if net is None:
            raise click.BadParameter(f"unknown network {network!r}", param_hint="--network")
        network_id = net.id
    try:
        user = accounts.create_user(
            email=email,
            name=name,
            role=Role(role),
            country_iso3=country.upper() if country else None,
            network_id=network_id,
            password=password,
        )
    except DomainError as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{exc.field or 'email'}") from exc
    db.session.commit()
    click.echo(f"created {user.email} ({user.role.value})")


@click.command("create-token")
@click.option("--email", required=True)
@click.option("--name", default="cli", show_default=True)
@click.option("--days", default=365, show_default=True, type=int)
@with_appcontext
def create_token(email: str, name: str, days: int) -> None:
    """Create an API token for an account and print it once."""
    from opsplanner.services import accounts

    user = accounts.find_by_email(email)
    if user is None:
        raise click.BadParameter("no such account", param_hint="--email")
    raw = accounts.create_token(user, name, days=days)
    db.session.commit()
    click.echo(raw)


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Load the demo operation and the demo accounts (once)."""
    from opsplanner.services.demo import load_demo

    created = load_demo()
    db.session.commit()
    click.echo(f"demo data: {created}")


@click.command("reconcile-jobs")
@with_appcontext
def reconcile_jobs() -> None:
    """Re-send background jobs whose worker or message was lost."""
    from opsplanner.services.jobs import reconcile

    click.echo(f"re-sent: {reconcile()}")


def _banner(url: str) -> str:
    from opsplanner.services.demo import DEMO_PASSWORD, DEMO_USERS

    lines = [
        f"\n  opsplanner is running at {url}\n",
        f"  Demo logins (password for all: {DEMO_PASSWORD}):",
    ]
    for email, _name, role, iso3, acronym in DEMO_USERS:
        scope = iso3 or acronym or ""
        lines.append(f"    {role.value:<15} {scope:<10} {email}")
    lines.append("\n  Press Ctrl+C to stop the web server and the worker.\n")
    return "\n".join(lines)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int, workers: int) -> None:
    """Run the web server (gunicorn), one Celery worker and its scheduler; stop them together."""
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ)
    web = [
        str(bin_dir / "gunicorn"),
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--access-logfile",
        "-",
        "opsplanner:create_app()",
    ]
    schedule = Path(current_app.instance_path) / "celerybeat-schedule"
    worker = [
        str(bin_dir / "celery"),
        "-A",
        "worker.celery_app",
        "worker",
        "--beat",
        "--schedule",
        str(schedule),
        "--concurrency",
        "2",
        "--loglevel",
        "INFO",
    ]
    procs = [subprocess.Popen(web, env=env), subprocess.Popen(worker, env=env)]
    click.echo(_banner(f"http://{host}:{port}/"))

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for p in procs:
            if p.poll() is not None:
                click.echo(f"process {p.args[0]} exited with {p.returncode}; stopping", err=True)
                code = p.returncode or 1
                stopping = True
        time.sleep(0.5)
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
    sys.exit(code)
