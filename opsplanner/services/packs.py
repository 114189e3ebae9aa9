"""Publication packs: request (or reuse) a build, its sections as parallel jobs, the join, the
assembly (manifest and zip), the reconciler, and who may download what and when.

Flow. ``request_pack`` takes the snapshot of the approved results for the audience. A pack with
the same (operation, audience, data version) that has not failed is returned as it is (no new
job); a failed one is retried; otherwise a new Pack is made, its snapshot written to
``EXPORT_DIR/packs/<id>/snapshot.json`` and one PackSection plus one job per section queued.
Each section job builds from the snapshot FILE (never the live database), writes its folder
``sections/<name>/`` through a scratch folder and ``os.replace``, records its files (name,
sha256, bytes) and skipped artifacts, commits, and then joins: when every section has
succeeded it enqueues the assembly job (one per pack: the job key is unique, and the race of
two sections enqueueing at once ends in an IntegrityError that is the proof the other won).
``reconcile_packs`` (run with the periodic job reconciler) enqueues what a crash between that
commit and that enqueue would lose, and marks a pack failed when one of its jobs gave up.

Files are never half-written: a worker killed mid-section leaves a ``.tmp-*`` folder that the
next attempt removes before writing, and the pack's zip is written under a scratch name and
moved into place. A rerun of a section that already succeeded keeps its files when they still
match the recorded digests (the zip may already have been made from them).

Access (``may_download``). The internal pack: organisers only. The public pack: before its
embargo, organisers and communications staff only (everyone else, anonymous included, gets
404); from the embargo on, anyone, signed in or not, at the stable link
``/operations/<id>/packs/public/latest.zip`` (the newest succeeded public pack) and at each
version's own link. Anonymous access is deliberate: after the embargo the public pack is the
press release's attachment, and nothing in it is restricted (see pack_snapshot).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from opsplanner.extensions import db
from opsplanner.models import (
    Job,
    JobStatus,
    Operation,
    OperationPhase,
    Pack,
    PackAudience,
    PackSection,
    PackStatus,
    PressTemplate,
    Role,
)
from opsplanner.services import jobs, pack_sections
from opsplanner.services.errors import Conflict, Forbidden, NotFound
from opsplanner.services.jobs import PermanentJobError, ProgressFn, job_handler
from opsplanner.services.pack_figures import compute_figures
from opsplanner.services.pack_sections import SECTIONS, SectionContext, notice_for
from opsplanner.services.pack_snapshot import Snapshot, take_snapshot
from opsplanner.services.scoping import Scope

SECTION_JOB = "pack_section"
ASSEMBLE_JOB = "pack_assemble"
# The phases in which approved results exist and a pack makes sense.
PACK_PHASES = frozenset(
    {OperationPhase.REPORTING, OperationPhase.EVALUATION, OperationPhase.PUBLISHED}
)
# Test hook: "section:seconds" pauses that section half-way through writing its files, so that
# a test can kill the worker mid-pack. Read from the app config, else the environment.
DELAY_SETTING = "PACK_SECTION_DELAY"


def _now() -> datetime:
    return datetime.now(UTC)


# -- where files live ----------------------------------------------------------------------------
def pack_dir(pack: Pack | int) -> Path:
    pack_id = pack if isinstance(pack, int) else pack.id
    return Path(current_app.config["EXPORT_DIR"]) / "packs" / str(pack_id)


def snapshot_path(pack: Pack) -> Path:
    return pack_dir(pack) / "snapshot.json"


def press_template_path(pack: Pack) -> Path:
    return pack_dir(pack) / "press-template.md"


def inputs_version(data_version: str, press_template: str | None, embargo_until: datetime) -> str:
    """What decides a pack's files besides the data: same inputs, same pack."""
    digest = hashlib.sha256()
    for part in (data_version, press_template or "", embargo_until.isoformat()):
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def section_dir(pack: Pack, name: str) -> Path:
    return pack_dir(pack) / "sections" / name


def zip_path(pack: Pack) -> Path | None:
    if pack.status is not PackStatus.SUCCEEDED or not pack.zip_name:
        return None
    path = pack_dir(pack) / pack.zip_name
    return path if path.is_file() else None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    try:
        scratch.write_bytes(data)
        os.replace(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)


def list_files(folder: Path) -> list[dict[str, Any]]:
    return [
        {
            "name": p.relative_to(folder).as_posix(),
            "sha256": sha256_file(p),
            "bytes": p.stat().st_size,
        }
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    ]


# -- who may do what -----------------------------------------------------------------------------
def may_request(scope: Scope, audience: PackAudience) -> bool:
    if scope.role is Role.ORGANISER:
        return True
    return scope.role is Role.COMMUNICATIONS and audience is PackAudience.PUBLIC


def may_view(scope: Scope, pack: Pack) -> bool:
    """The pack's page and progress: whoever may request a pack of its audience."""
    return may_request(scope, pack.audience)


def embargo_lifted(pack: Pack, now: datetime | None = None) -> bool:
    return (now or _now()) >= pack.embargo_until


def may_download(scope: Scope | None, pack: Pack, now: datetime | None = None) -> bool:
    """``scope`` None is an anonymous visitor. See the module for the rules."""
    if pack.status is not PackStatus.SUCCEEDED:
        return False
    role = scope.role if scope is not None else None
    if pack.audience is PackAudience.INTERNAL:
        return role is Role.ORGANISER
    if role in (Role.ORGANISER, Role.COMMUNICATIONS):
        return True
    return embargo_lifted(pack, now)


def packs_for(scope: Scope, operation: Operation) -> list[Pack]:
    query = select(Pack).where(Pack.operation_id == operation.id)
    if scope.role is not Role.ORGANISER:
        query = query.where(Pack.audience == PackAudience.PUBLIC)
    return list(db.session.scalars(query.order_by(Pack.id.desc())))


def pack_or_404(scope: Scope, operation: Operation, pack_id: int) -> Pack:
    pack = db.session.get(Pack, pack_id)
    if pack is None or pack.operation_id != operation.id or not may_view(scope, pack):
        raise NotFound("pack not found")
    return pack


def downloadable_pack_or_404(
    scope: Scope | None, operation_id: int, pack_id: int, now: datetime | None = None
) -> Pack:
    pack = db.session.get(Pack, pack_id)
    if pack is None or pack.operation_id != operation_id or not may_download(scope, pack, now):
        raise NotFound("pack not found")
    return pack


def latest_public_pack(scope: Scope | None, operation_id: int, now: datetime | None = None) -> Pack:
    """The stable link: the newest succeeded public pack, if this visitor may have it."""
    pack = db.session.scalar(
        select(Pack)
        .where(
            Pack.operation_id == operation_id,
            Pack.audience == PackAudience.PUBLIC,
            Pack.status == PackStatus.SUCCEEDED,
        )
        .order_by(Pack.finished_at.desc(), Pack.id.desc())
        .limit(1)
    )
    if pack is None or not may_download(scope, pack, now):
        raise NotFound("pack not found")
    return pack


# -- requesting ---------------------------------------------------------------------------------
def _job_for(kind: str, key: str) -> Job | None:
    return db.session.scalar(select(Job).where(Job.kind == kind, Job.key == key))


def section_key(pack: Pack, name: str) -> str:
    return f"pack{pack.id}:{name}"


def assemble_key(pack: Pack) -> str:
    return f"pack{pack.id}:assemble"


def has_failed(pack: Pack) -> bool:
    """Failed, or one of its jobs gave up (the pack row learns it from the reconciler)."""
    if pack.status is PackStatus.FAILED:
        return True
    if pack.status is PackStatus.SUCCEEDED:
        return False
    keys = [section_key(pack, s.name) for s in pack.sections] + [assemble_key(pack)]
    failed = db.session.scalar(
        select(Job.id).where(
            Job.kind.in_((SECTION_JOB, ASSEMBLE_JOB)),
            Job.key.in_(keys),
            Job.status == JobStatus.FAILED,
        )
    )
    return failed is not None


def request_pack(
    scope: Scope, operation: Operation, audience: PackAudience | str, *, now: datetime | None = None
) -> Pack:
    try:
        audience = PackAudience(audience)
    except ValueError:
        raise NotFound("no such audience") from None
    if not may_request(scope, audience):
        if scope.role is Role.COMMUNICATIONS:
            raise Forbidden(_("Communications staff may request the public pack only."))
        raise NotFound("operation not found")
    if operation.phase not in PACK_PHASES:
        raise Conflict(
            _(
                "A pack is built from approved results: the operation must be in reporting, "
                "evaluation or published (it is in %(phase)s).",
                phase=str(operation.phase),
            )
        )
    snapshot = take_snapshot(operation, audience)
    template = db.session.get(PressTemplate, operation.id)
    template_body = template.body if template is not None else None
    inputs = inputs_version(snapshot.data_version, template_body, operation.embargo_until)
    existing = db.session.scalar(
        select(Pack).where(
            Pack.operation_id == operation.id,
            Pack.audience == audience,
            Pack.inputs_version == inputs,
        )
    )
    if existing is not None:
        if has_failed(existing):
            _retry(existing, scope)
        return existing

    pack = Pack(
        operation_id=operation.id,
        audience=audience,
        data_version=snapshot.data_version,
        inputs_version=inputs,
        status=PackStatus.QUEUED,
        embargo_until=operation.embargo_until,
        seizures=len(snapshot.seizures),
        requested_by_id=scope.user.id,
        created_at=now or _now(),
        skipped=[],
    )
    db.session.add(pack)
    try:
        db.session.flush()
    except IntegrityError:  # the same request a moment ago, from another tab or user
        db.session.rollback()
        return db.session.scalars(
            select(Pack).where(
                Pack.operation_id == operation.id,
                Pack.audience == audience,
                Pack.inputs_version == inputs,
            )
        ).one()
    pack.sections = [PackSection(name=name, files=[], skipped=[]) for name in SECTIONS]
    _write_atomic(snapshot_path(pack), snapshot.to_json_bytes())
    if template_body is not None:
        # the template as it was asked for: a later edit makes another pack, not this one
        _write_atomic(press_template_path(pack), template_body.encode("utf-8"))
    db.session.commit()
    _queue_sections(pack, scope)
    return pack


def _queue_sections(pack: Pack, scope: Scope | None) -> None:
    """One job per section not yet built; commit, then wake the workers."""
    to_send: list[int] = []
    for section in pack.sections:
        if section.status is PackStatus.SUCCEEDED:
            continue
        job = jobs.enqueue(
            SECTION_JOB,
            section_key(pack, section.name),
            {"pack_id": pack.id, "section": section.name},
            requested_by=scope.user if scope else None,
            send=False,
        )
        section.job_id = job.id
        if job.status is JobStatus.QUEUED:
            to_send.append(job.id)
    db.session.commit()
    for job_id in to_send:
        jobs.dispatch(job_id)


def _retry(pack: Pack, scope: Scope) -> None:
    pack.status = PackStatus.QUEUED
    pack.error = ""
    for section in pack.sections:
        if section.status is not PackStatus.SUCCEEDED:
            section.status = PackStatus.QUEUED
            section.error = ""
    db.session.commit()
    _queue_sections(pack, scope)  # enqueue resets the failed jobs
    join(pack)


# -- the section job ------------------------------------------------------------------------------
def _section_delay(name: str) -> float:
    setting = current_app.config.get(DELAY_SETTING) or os.environ.get(DELAY_SETTING, "")
    section, _sep, seconds = setting.partition(":")
    return float(seconds) if section == name and seconds else 0.0


def _files_intact(pack: Pack, section: PackSection) -> bool:
    folder = section_dir(pack, section.name)
    return bool(section.files) and all(
        (folder / f["name"]).is_file() and sha256_file(folder / f["name"]) == f["sha256"]
        for f in section.files
    )


def load_snapshot(pack: Pack) -> Snapshot:
    try:
        raw = snapshot_path(pack).read_bytes()
    except FileNotFoundError:
        raise PermanentJobError("the pack's snapshot file is missing") from None
    # The file is the snapshot's canonical bytes, so its digest is the data version: checking
    # it costs one hash, not a second serialisation of the whole snapshot.
    if hashlib.sha256(raw).hexdigest() != pack.data_version:
        raise PermanentJobError("the snapshot file does not match the pack's data version")
    return Snapshot.load(raw, data_version=pack.data_version)


def section_context(pack: Pack, snapshot: Snapshot, progress: ProgressFn) -> SectionContext:
    operation = pack.operation
    stored = press_template_path(pack)
    template = stored.read_text(encoding="utf-8") if stored.is_file() else None
    built_at = pack.created_at
    return SectionContext(
        snapshot=snapshot,
        figures=compute_figures(snapshot),
        notice=notice_for(pack.audience, pack.embargo_until, built_at),
        embargo_until=pack.embargo_until,
        organiser=str(operation.organising_agency),
        press_template=template,
        built_at=built_at,
        progress=progress,
    )


@job_handler(SECTION_JOB)
def build_section(job: Job, progress: ProgressFn) -> dict[str, Any]:
    name = job.params.get("section")
    pack = db.session.get(Pack, job.params.get("pack_id"))
    if pack is None or name not in pack_sections.BUILDERS:
        raise PermanentJobError("no such pack or section")
    section = db.session.scalars(
        select(PackSection).where(PackSection.pack_id == pack.id, PackSection.name == name)
    ).one()
    if section.status is PackStatus.SUCCEEDED and _files_intact(pack, section):
        join(pack)  # a rerun after the commit: the files stand; only the join may be missing
        return {"pack_id": pack.id, "section": name, "written": len(section.files)}

    section.status = PackStatus.BUILDING
    section.job_id = job.id
    if pack.status is PackStatus.QUEUED:
        pack.status = PackStatus.BUILDING
    db.session.commit()

    snapshot = load_snapshot(pack)
    ctx = section_context(pack, snapshot, progress)
    delay = _section_delay(name)
    with jobs.atomic_dir(section_dir(pack, name)) as scratch:
        skipped = pack_sections.BUILDERS[name](ctx, scratch)
        if delay:
            import time

            progress(60, "paused (test hook)")
            time.sleep(delay)
        files = list_files(scratch)

    section.files = files
    section.skipped = [{"artifact": s.artifact, "reason": s.reason} for s in skipped]
    section.status = PackStatus.SUCCEEDED
    section.finished_at = _now()
    section.error = ""
    db.session.commit()
    join(pack)
    return {"pack_id": pack.id, "section": name, "written": len(files)}


def join(pack: Pack) -> Job | None:
    """Enqueue the assembly once every section has succeeded (idempotent)."""
    # column values straight from the database: another worker may have just committed
    statuses = list(
        db.session.scalars(select(PackSection.status).where(PackSection.pack_id == pack.id))
    )
    if not statuses or any(s is not PackStatus.SUCCEEDED for s in statuses):
        return None
    try:
        return jobs.enqueue(ASSEMBLE_JOB, assemble_key(pack), {"pack_id": pack.id})
    except IntegrityError:
        db.session.rollback()  # another section enqueued it at the same moment
        return _job_for(ASSEMBLE_JOB, assemble_key(pack))


# -- the assembly ---------------------------------------------------------------------------------
def manifest_for(pack: Pack, built_at: datetime) -> dict[str, Any]:
    files: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    for section in pack.sections:
        for f in section.files:
            files.append({"path": f"{section.name}/{f['name']}", **_digest(f)})
        skipped += [{"section": section.name, **s} for s in section.skipped]
    return {
        "operation": pack.operation.code_name,
        "operation_id": pack.operation_id,
        "audience": str(pack.audience),
        "data_version": pack.data_version,
        "seizures": pack.seizures,
        "embargo_until": pack.embargo_until.astimezone(UTC).isoformat(),
        "embargoed": pack.audience is PackAudience.PUBLIC and pack.created_at < pack.embargo_until,
        "built_at": built_at.astimezone(UTC).isoformat(),
        "files": files,
        "skipped": skipped,
    }


def _digest(f: dict[str, Any]) -> dict[str, Any]:
    return {"sha256": f["sha256"], "bytes": f["bytes"]}


def zip_name_for(pack: Pack) -> str:
    slug = pack.operation.code_name.lower().replace(" ", "-")
    return f"{slug}-{pack.audience}-pack-{pack.data_version[:12]}.zip"


@job_handler(ASSEMBLE_JOB)
def assemble(job: Job, progress: ProgressFn) -> dict[str, Any]:
    pack = db.session.get(Pack, job.params.get("pack_id"))
    if pack is None:
        raise PermanentJobError("the pack no longer exists")
    if zip_path(pack) is not None and sha256_file(zip_path(pack)) == pack.zip_sha256:
        return {"pack_id": pack.id, "zip": pack.zip_name}
    if any(s.status is not PackStatus.SUCCEEDED for s in pack.sections):
        raise RuntimeError("not every section has succeeded yet")
    for section in pack.sections:
        if not _files_intact(pack, section):
            raise PermanentJobError(f"the files of section {section.name} do not match")

    progress(10, _("writing the manifest"))
    built_at = _now()
    manifest = manifest_for(pack, built_at)
    manifest_bytes = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
    folder = pack_dir(pack)
    name = zip_name_for(pack)
    for stale in folder.glob(f".{name}.*.part"):
        stale.unlink(missing_ok=True)
    scratch = folder / f".{name}.{uuid.uuid4().hex}.part"
    stamp = pack.created_at.astimezone(UTC).timetuple()[:6]
    try:
        with zipfile.ZipFile(scratch, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(zipfile.ZipInfo("manifest.json", stamp), manifest_bytes)
            total = len(manifest["files"])
            for i, entry in enumerate(manifest["files"]):
                if i % 10 == 0:
                    progress(20 + 70 * i // max(1, total), _("zipping"))
                info = zipfile.ZipInfo(entry["path"], stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                source = folder / "sections" / entry["path"]
                with source.open("rb") as src, zf.open(info, "w") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
        digest = sha256_file(scratch)
        os.replace(scratch, folder / name)
    finally:
        scratch.unlink(missing_ok=True)
    _write_atomic(folder / "manifest.json", manifest_bytes)

    pack.manifest = manifest
    pack.zip_name = name
    pack.zip_sha256 = digest
    pack.skipped = manifest["skipped"]
    pack.status = PackStatus.SUCCEEDED
    pack.finished_at = built_at
    pack.error = ""
    db.session.commit()
    return {"pack_id": pack.id, "zip": name, "sha256": digest}


# -- recovery -------------------------------------------------------------------------------------
def reconcile_packs() -> list[int]:
    """For the packs under way: queue what a crash lost (a section without a job, the assembly
    of a pack whose sections all succeeded) and mark failed those whose jobs gave up. Returns
    the ids of the packs it touched."""
    touched: list[int] = []
    open_packs = db.session.scalars(
        select(Pack).where(Pack.status.in_((PackStatus.QUEUED, PackStatus.BUILDING)))
    ).all()
    for pack in open_packs:
        if has_failed(pack):
            failed = db.session.scalars(
                select(Job).where(
                    Job.kind.in_((SECTION_JOB, ASSEMBLE_JOB)),
                    Job.key.like(f"pack{pack.id}:%"),
                    Job.status == JobStatus.FAILED,
                )
            ).all()
            pack.status = PackStatus.FAILED
            pack.error = "; ".join(f"{j.key}: {j.error or ''}" for j in failed)[:4000]
            db.session.commit()
            touched.append(pack.id)
            continue
        missing = [
            s
            for s in pack.sections
            if s.status is not PackStatus.SUCCEEDED
            and _job_for(SECTION_JOB, section_key(pack, s.name)) is None
        ]
        if missing:
            _queue_sections(pack, None)
            touched.append(pack.id)
        elif _job_for(ASSEMBLE_JOB, assemble_key(pack)) is None and join(pack) is not None:
            touched.append(pack.id)
    return touched


# -- progress -------------------------------------------------------------------------------------
def progress_of(pack: Pack) -> dict[str, Any]:
    """What the pack page's progress bar shows, from the section rows and their jobs."""
    job_ids = [s.job_id for s in pack.sections if s.job_id]
    by_id = (
        {j.id: j for j in db.session.scalars(select(Job).where(Job.id.in_(job_ids)))}
        if job_ids
        else {}
    )
    assemble_job = _job_for(ASSEMBLE_JOB, assemble_key(pack))
    parts: list[int] = []
    sections = []
    for s in pack.sections:
        job = by_id.get(s.job_id) if s.job_id else None
        # the worker commits the section row before its job row: a succeeded job is a done
        # section even when this read saw the section row from just before
        if s.status is PackStatus.SUCCEEDED or (
            job is not None and job.status is JobStatus.SUCCEEDED
        ):
            percent = 100
        else:
            percent = job.progress if job is not None and job.status is JobStatus.RUNNING else 0
        parts.append(percent)
        sections.append(
            {
                "name": s.name,
                "status": str(s.status),
                "percent": percent,
                "message": job.progress_message if job is not None else "",
                "skipped": s.skipped,
            }
        )
    if pack.status is PackStatus.SUCCEEDED or (
        assemble_job is not None and assemble_job.status is JobStatus.SUCCEEDED
    ):
        parts.append(100)
    elif assemble_job is not None and assemble_job.status is JobStatus.RUNNING:
        parts.append(assemble_job.progress)
    else:
        parts.append(0)
    done = sum(1 for s in pack.sections if s.status is PackStatus.SUCCEEDED) + (
        1 if pack.status is PackStatus.SUCCEEDED else 0
    )
    status = PackStatus.FAILED if has_failed(pack) else pack.status
    skipped = pack.skipped or [
        {"section": s.name, **k} for s in pack.sections for k in (s.skipped or [])
    ]
    return {
        "id": pack.id,
        "status": str(status),
        "finished": status in (PackStatus.SUCCEEDED, PackStatus.FAILED),
        "done": done,
        "total": len(pack.sections) + 1,
        "percent": round(sum(parts) / len(parts)) if parts else 0,
        "sections": sections,
        "skipped": skipped,
        "error": pack.error,
    }
