"""Roster imports: create one from an upload, and run it (validate, then apply in one transaction)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ApplicationError
from governance.models import Compound

from ..models import RosterImport
from .applying import apply_plan, plan_roster
from .reading import detect_kind, read_rows
from .validation import validate_roster

logger = logging.getLogger(__name__)
MAX_STORED_ERRORS = 1000


def roster_import_create(*, compound: Compound, upload, dry_run: bool, actor, language: str | None = None) -> RosterImport:
    """Store an uploaded roster and queue its import (after commit).

    Only staff who manage the compound may import. Raises ApplicationError (field "file") when
    the file is too large or is neither XLSX nor CSV by its content, and (code "not_found") when the
    actor does not manage the compound.
    """
    if not Compound.objects.managed_by(actor).filter(pk=compound.pk).exists():
        raise ApplicationError(_("Not found."), code="not_found")
    limit = settings.ROSTER_MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise ApplicationError(
            _("The file is too large: at most %(mb)d MB.") % {"mb": max(limit // (1024 * 1024), 1)}, field="file"
        )
    data = upload.read()
    detect_kind(data)
    original_name = (getattr(upload, "name", "") or "roster").rsplit("/", 1)[-1][:255]
    with transaction.atomic():
        roster_import = RosterImport.objects.create(
            compound=compound,
            uploaded_by=actor,
            file=ContentFile(data, name=original_name),
            original_name=original_name,
            dry_run=dry_run,
            language=language or settings.LANGUAGE_CODE,
        )
        audit(actor=actor, action="roster.upload", target=roster_import, compound=compound.pk,
              file=original_name, dry_run=dry_run)
        transaction.on_commit(lambda: _enqueue(roster_import.pk))
    return roster_import


def roster_import_repeat(*, roster_import: RosterImport, actor) -> RosterImport:
    """Import for real a file that was only previewed."""
    if roster_import.status != RosterImport.Status.PREVIEWED:
        raise ApplicationError(_("Only a checked preview can be imported."), code="invalid_state")
    roster_import.file.open("rb")
    try:
        data = roster_import.file.read()
    finally:
        roster_import.file.close()
    upload = ContentFile(data, name=roster_import.original_name)
    return roster_import_create(
        compound=roster_import.compound, upload=upload, dry_run=False, actor=actor, language=roster_import.language
    )


def _enqueue(import_id: int) -> None:
    from ..tasks import run_roster_import

    run_roster_import.delay(import_id)


def _claim(import_id: int) -> RosterImport | None:
    """Move a pending import to "validating"; return None if it is gone or already taken (idempotent)."""
    with transaction.atomic():
        roster_import = (
            RosterImport.objects.select_for_update().select_related("compound", "uploaded_by")
            .filter(pk=import_id, status=RosterImport.Status.PENDING).first()
        )
        if roster_import is None:
            return None
        roster_import.status = RosterImport.Status.VALIDATING
        roster_import.save(update_fields=["status", "updated_at"])
    return roster_import


def _finish(roster_import: RosterImport, status: str, *, errors=None, summary=None) -> None:
    roster_import.status = status
    roster_import.errors = (errors or [])[:MAX_STORED_ERRORS]
    roster_import.summary = summary or {}
    roster_import.processed_rows = roster_import.total_rows
    roster_import.finished_at = timezone.now()
    roster_import.save(update_fields=["status", "errors", "summary", "processed_rows", "finished_at", "updated_at"])


def roster_import_run(*, import_id: int) -> str:
    """Validate a pending import and apply it (or only preview it) all-or-nothing; return its status.

    Progress is saved every few hundred rows outside the apply transaction so pages can show it.
    Running an import that is not pending does nothing, so a repeated task is harmless.
    """
    roster_import = _claim(import_id)
    if roster_import is None:
        return "skipped"
    with translation.override(roster_import.language):
        try:
            _run(roster_import)
        except ApplicationError as exc:
            _finish(roster_import, RosterImport.Status.FAILED, errors=[{"row": None, "column": "", "message": exc.message}])
        except Exception:
            logger.exception("roster import %s failed", import_id)
            message = _("The import stopped because of an unexpected error. Nothing was changed. Please try again.")
            _finish(roster_import, RosterImport.Status.FAILED, errors=[{"row": None, "column": "", "message": message}])
    return roster_import.status


def _run(roster_import: RosterImport) -> None:
    roster_import.file.open("rb")
    try:
        data = roster_import.file.read()
    finally:
        roster_import.file.close()
    rows = read_rows(data)
    roster_import.total_rows = max(len(rows) - 1, 0)
    roster_import.save(update_fields=["total_rows", "updated_at"])

    def progress(done: int) -> None:
        RosterImport.objects.filter(pk=roster_import.pk).update(processed_rows=min(done, roster_import.total_rows))

    roster, errors = validate_roster(rows, progress=progress)
    if errors:
        summary = {"error_count": len(errors)}
        _finish(roster_import, RosterImport.Status.FAILED, errors=[e.as_dict() for e in errors], summary=summary)
        return
    with transaction.atomic():
        # One import per compound at a time: the plan must see the rows it will change.
        compound = Compound.objects.select_for_update().get(pk=roster_import.compound_id)
        plan = plan_roster(compound=compound, roster=roster)
        summary = plan.summary(dry_run=roster_import.dry_run)
        if roster_import.dry_run:
            _finish(roster_import, RosterImport.Status.PREVIEWED, summary=summary)
            return
        apply_plan(plan, actor=roster_import.uploaded_by)
        _finish(roster_import, RosterImport.Status.APPLIED, summary=summary)
        audit(actor=roster_import.uploaded_by, action="roster.import", target=roster_import,
              compound=compound.pk, file=roster_import.original_name, summary=summary)
