"""Staff role management in the browser: list, assign and end role assignments.

The list is RoleAssignment.objects.visible_to(user); writes go through governance.services,
which keep django-guardian grants in step. ApplicationErrors become form errors.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError

from . import services
from .models import ROLE_SCOPE_FIELD, RoleAssignment
from .role_forms import RoleAssignForm, RoleFilterForm, scope_choices, scope_model

PAGE_SIZE = 50


def _endable_ids(user, assignments: list[RoleAssignment]) -> set[int]:
    """Return ids of the current assignments the user may end (at most one query per scope type).

    Rows of other people are visible only because the user manages their scope; the user's
    own rows need a check of their scope.
    """
    now = timezone.now()
    current = [a for a in assignments if a.end is None or a.end > now]
    if user.is_superuser:
        return {a.pk for a in current}
    endable = {a.pk for a in current if a.user_id != user.pk}
    own_by_field: dict[str, list[RoleAssignment]] = defaultdict(list)
    for a in current:
        if a.user_id == user.pk:
            own_by_field[ROLE_SCOPE_FIELD[a.role]].append(a)
    for field, rows in own_by_field.items():
        model = RoleAssignment._meta.get_field(field).related_model
        ids = {getattr(a, f"{field}_id") for a in rows}
        managed = set(model.objects.managed_by(user).filter(pk__in=ids).values_list("pk", flat=True))
        endable |= {a.pk for a in rows if getattr(a, f"{field}_id") in managed}
    return endable


@login_required
def role_list(request: HttpRequest) -> HttpResponse:
    """List the role assignments visible to the user, 50 a page, filtered by role and status."""
    user = request.user
    filters = RoleFilterForm(request.GET or None)
    qs = RoleAssignment.objects.visible_to(user).select_related("user", *ROLE_SCOPE_FIELD.values())
    state = RoleFilterForm.ACTIVE
    if filters.is_bound and filters.is_valid():
        if filters.cleaned_data["role"]:
            qs = qs.filter(role=filters.cleaned_data["role"])
        state = filters.cleaned_data["state"] or state
    now = timezone.now()
    if state == RoleFilterForm.ACTIVE:
        qs = qs.filter(Q(end__isnull=True) | Q(end__gt=now))
    elif state == RoleFilterForm.ENDED:
        qs = qs.filter(end__isnull=False, end__lte=now)
    page = Paginator(qs.order_by("-start", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    endable = _endable_ids(user, rows)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "governance/roles/list.html",
        {
            "filters": filters,
            "page": page,
            "rows": [{"assignment": a, "can_end": a.pk in endable, "is_active": a.is_active(now)} for a in rows],
            "query": query.urlencode(),
        },
    )


@login_required
def role_assign(request: HttpRequest) -> HttpResponse:
    """Assign a role: person by mobile number, role, and a scope the user manages."""
    if request.method == "POST" and request.POST.get("step") == "scopes":
        # Without JavaScript, "Show the places" reloads the scope list for the chosen role.
        form = RoleAssignForm(viewer=request.user, initial=request.POST.dict())
    elif request.method == "POST":
        form = RoleAssignForm(request.POST, viewer=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.role_assignment_create(
                    user=data["phone"], role=data["role"], scope=data["scope"], actor=request.user
                )
            except ApplicationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(
                    request, _("%(name)s is now %(role)s.") % {
                        "name": data["phone"].real_name,
                        "role": dict(RoleAssignment._meta.get_field("role").choices)[data["role"]],
                    },
                )
                return redirect("roles:list")
    else:
        form = RoleAssignForm(viewer=request.user, initial=request.GET.dict())
    return render(request, "governance/roles/assign.html", {"form": form})


@login_required
@require_GET
def scope_options(request: HttpRequest) -> HttpResponse:
    """Return <option>s of the scopes the user manages for ?role= (htmx partial)."""
    role = request.GET.get("role", "")
    options = scope_choices(request.user, role) if role in ROLE_SCOPE_FIELD else []
    label = _("Choose a place") if options else _("You manage no place for this role")
    if role in ROLE_SCOPE_FIELD and options:
        label = _("Choose a %(type)s") % {"type": scope_model(role)._meta.verbose_name}
    return render(request, "governance/roles/_scope_options.html", {"options": options, "empty_label": label})


@login_required
@require_POST
def role_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End a role now; its permissions are revoked at once."""
    assignment = get_object_or_404(RoleAssignment.objects.visible_to(request.user).select_related("user"), pk=pk)
    try:
        services.role_assignment_end(assignment=assignment, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The role of %(name)s has ended.") % {"name": assignment.user.real_name})
    return redirect("roles:list")
