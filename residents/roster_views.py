"""Pages for importing a compound's owner roster: upload, progress (htmx polling), result."""

from __future__ import annotations

import csv
import io

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.forms import BootstrapFormMixin
from governance.models import Compound

from .models import RosterImport
from .roster import COLUMNS, TEMPLATE_ROWS, roster_import_create, roster_import_repeat

COUNT_LABELS = {
    "buildings_created": _("Buildings added"),
    "units_created": _("Units added"),
    "units_updated": _("Units changed"),
    "people_created": _("People added"),
    "people_updated": _("People changed"),
    "ownerships_created": _("Owners added"),
    "ownerships_updated": _("Owners changed"),
    "ownerships_ended": _("Owners removed"),
}
KIND_LABELS = {"created": _("added"), "updated": _("changed"), "ended": _("removed")}
MAX_ERRORS_SHOWN = 500


class RosterUploadForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Roster file (Excel .xlsx or CSV)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file and show what would change (save nothing)"), required=False, initial=True
    )


def _managed_import(request: HttpRequest, pk: int) -> RosterImport:
    return get_object_or_404(
        RosterImport.objects.managed_by(request.user).select_related("compound__community", "uploaded_by"), pk=pk
    )


@login_required
def compound_roster(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a roster for a compound the user manages; others get 404."""
    compound = get_object_or_404(Compound.objects.managed_by(request.user).select_related("community"), pk=pk)
    form = RosterUploadForm(request.POST, request.FILES) if request.method == "POST" else RosterUploadForm()
    if form.is_bound and form.is_valid():
        try:
            roster_import = roster_import_create(
                compound=compound,
                upload=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
                actor=request.user,
                language=getattr(request, "LANGUAGE_CODE", None),
            )
        except ApplicationError as exc:
            form.add_error("file" if exc.field == "file" else None, exc.message)
        else:
            return redirect("roster-import", roster_import.pk)
    imports = compound.roster_imports.select_related("uploaded_by")[:10]
    return render(
        request,
        "residents/roster/compound.html",
        {"compound": compound, "form": form, "imports": imports, "columns": COLUMNS},
    )


def _status_context(roster_import: RosterImport) -> dict:
    summary = roster_import.summary or {}
    counts = summary.get("counts", {})
    return {
        "imp": roster_import,
        "count_rows": [(label, counts.get(key, 0)) for key, label in COUNT_LABELS.items()],
        "changes": [{**c, "kind_label": KIND_LABELS.get(c["kind"], c["kind"])} for c in summary.get("changes", [])],
        "errors": roster_import.errors[:MAX_ERRORS_SHOWN],
        "error_count": summary.get("error_count", len(roster_import.errors)),
    }


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    roster_import = _managed_import(request, pk)
    return render(request, "residents/roster/import.html", _status_context(roster_import))


@login_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The status partial; it polls itself every second until the import finishes."""
    roster_import = _managed_import(request, pk)
    return render(request, "residents/roster/_status.html", _status_context(roster_import))


@login_required
@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Import for real a file that was previewed."""
    roster_import = _managed_import(request, pk)
    try:
        new_import = roster_import_repeat(roster_import=roster_import, actor=request.user)
    except ApplicationError:
        return redirect("roster-import", roster_import.pk)
    return redirect("roster-import", new_import.pk)


@login_required
def template_download(request: HttpRequest) -> HttpResponse:
    """A CSV with the headers and two example rows (UTF-8 with BOM so Excel shows Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in COLUMNS])
    writer.writerows(TEMPLATE_ROWS)
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = "attachment; filename=\"roster-template.csv\"; filename*=UTF-8''%E4%B8%9A%E4%B8%BB%E5%90%8D%E5%86%8C%E6%A8%A1%E6%9D%BF.csv"
    return response
