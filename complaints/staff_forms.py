"""Forms of the staff side of a case: triage, dispatch, handling, verification, queues.

Choice lists (departments, cases to merge into, compounds) are passed in already evaluated, so a
page renders them without queries of their own; the views look the chosen object up again in scope.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from governance.models import UrgencyTier

from .models import Category, DispatchStatus, HandlerKind, Status


class VersionForm(forms.Form):
    """Every action carries the case version the page showed (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def _choices(objects: Iterable, empty: str) -> list[tuple[str, str]]:
    return [("", empty)] + [(str(obj.pk), str(obj)) for obj in objects]


class AcceptForm(BootstrapFormMixin, VersionForm):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=UrgencyTier.choices)


class RecategorizeForm(AcceptForm):
    pass


class RejectForm(BootstrapFormMixin, VersionForm):
    reason = forms.CharField(
        label=_("Reason the resident will read"), max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Tell the resident why the case is not accepted.")},
    )


class RequestInfoForm(BootstrapFormMixin, VersionForm):
    question = forms.CharField(
        label=_("What do you need to know?"), max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write what you need to know.")},
    )


class MergeForm(BootstrapFormMixin, VersionForm):
    into = forms.ChoiceField(
        label=_("Same problem as case"), error_messages={"required": _("Choose another open case of the same compound.")}
    )

    def __init__(self, *args, cases: Iterable = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].choices = [("", _("Choose a case"))] + [
            (str(case.pk), f"{case.number} {case.title}") for case in cases
        ]


class DispatchForm(BootstrapFormMixin, VersionForm):
    handler_kind = forms.ChoiceField(
        label=_("Handled by"), choices=HandlerKind.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Choose who handles the case.")},
    )
    department = forms.ChoiceField(label=_("Department"), required=False)
    instructions = forms.CharField(
        label=_("Instructions"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    handle_hours = forms.IntegerField(
        label=_("Deadline in hours (property company or party branch)"), required=False, min_value=1, max_value=30 * 24,
        help_text=_("Leave empty for the usual deadline."),
    )

    def __init__(self, *args, departments: Iterable = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _choices(departments, _("Choose the department"))


class VerifyForm(BootstrapFormMixin, VersionForm):
    passed = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1", widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("What did you find on site?"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the check fails: write what is still wrong."),
    )


class RateForm(BootstrapFormMixin, VersionForm):
    score = forms.TypedChoiceField(
        label=_("Stars"), coerce=int, choices=[(str(n), "★" * n) for n in range(5, 0, -1)], widget=forms.RadioSelect,
        error_messages={"required": _("Give 1 to 5 stars.")},
    )
    comment = forms.CharField(label=_("Comment"), max_length=200, required=False)


class ResolveForm(BootstrapFormMixin, VersionForm):
    result = forms.CharField(
        label=_("Result of the work"), widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write what was done.")},
    )


class ReturnForm(BootstrapFormMixin, VersionForm):
    reason = forms.CharField(
        label=_("Why is the case not yours?"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write why the case is not yours.")},
    )
    belongs_to = forms.ChoiceField(label=_("Which department should handle it?"), required=False)

    def __init__(self, *args, departments: Iterable = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["belongs_to"].choices = _choices(departments, _("Choose the department"))


class ExtensionForm(BootstrapFormMixin, VersionForm):
    hours = forms.IntegerField(
        label=_("More hours needed"), min_value=1, max_value=30 * 24,
        error_messages={"required": _("Ask for 1 hour to 30 days."), "min_value": _("Ask for 1 hour to 30 days."),
                        "max_value": _("Ask for 1 hour to 30 days.")},
    )
    reason = forms.CharField(
        label=_("Why is more time needed?"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write why more time is needed.")},
    )


class ParkForm(BootstrapFormMixin, VersionForm):
    plan = forms.CharField(
        label=_("Plan: what will be done, and when"), widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write the plan: what will be done, and when.")},
    )


class ExtensionDecisionForm(BootstrapFormMixin, VersionForm):
    approve = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1", widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class QueueFilterForm(BootstrapFormMixin, forms.Form):
    """Filters of every queue: status, category, compound, overdue only."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False, choices=[("", _("All categories"))] + Category.choices)
    compound = forms.ChoiceField(label=_("Compound"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, statuses: Iterable[tuple[str, str]], compounds: Iterable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses"))] + list(statuses)
        self.fields["compound"].choices = _choices(compounds, _("All compounds"))


TRIAGE_STATUSES = [(s.value, s.label) for s in (Status.SUBMITTED, Status.NEEDS_INFO, Status.ACCEPTED, Status.HANDLING, Status.RESOLVED)]
OPEN_DISPATCH_CHOICES = [
    (s.value, s.label) for s in (DispatchStatus.PENDING, DispatchStatus.ACKNOWLEDGED, DispatchStatus.EXTENSION_REQUESTED)
]
