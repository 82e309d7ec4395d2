"""Forms of the staff role pages: filter the list, assign a role."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin

from .models import ROLE_SCOPE_FIELD, Role, RoleAssignment


def scope_model(role: str) -> type[models.Model]:
    """Return the model of the scope object a role is held over."""
    return RoleAssignment._meta.get_field(ROLE_SCOPE_FIELD[role]).related_model


def scopes_for(viewer, role: str) -> models.QuerySet:
    """Return the scope objects of `role`'s type that the viewer manages (lazy)."""
    if role not in ROLE_SCOPE_FIELD:
        return RoleAssignment.objects.none()
    return scope_model(role).objects.managed_by(viewer).order_by("name", "pk")


class RoleFilterForm(BootstrapFormMixin, forms.Form):
    ACTIVE, ENDED, ALL = "active", "ended", "all"

    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("All roles")), *Role.choices])
    state = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[(ACTIVE, _("current")), (ENDED, _("ended")), (ALL, _("all"))],
    )


class RoleAssignForm(BootstrapFormMixin, forms.Form):
    """Give a person a role over a scope the staff member manages.

    The person is found by mobile number among the people the staff member may see (any
    registered person for superusers). The scope list follows the chosen role (htmx).
    """

    phone = forms.CharField(
        label=_("Mobile number"), max_length=11,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": _("Enter the person's mobile number.")},
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", _("Choose a role")), *Role.choices],
        error_messages={"required": _("Choose a role.")},
    )
    scope = forms.TypedChoiceField(
        label=_("Where"), coerce=int, choices=[],
        help_text=_("Only the places you manage are listed."),
        error_messages={"required": _("Choose where the person works."),
                        "invalid_choice": _("Choose a place you manage from the list.")},
    )

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        source = self.data if self.is_bound else self.initial
        role = source.get("role") or ""
        self.fields["scope"].choices = [("", _("Choose a place")), *scope_choices(viewer, role)]
        self.fields["role"].widget.attrs.update(
            {"hx-get": reverse("roles:scope-options"), "hx-trigger": "change", "hx-target": "#id_scope"}
        )

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        User = get_user_model()
        people = User.objects.all() if self.viewer.is_superuser else User.objects.visible_to(self.viewer)
        person = people.filter(phone=phone, is_active=True).first()
        if person is None:
            raise forms.ValidationError(_("No person with this mobile number among the people you may see."))
        return person

    def clean(self):
        cleaned = super().clean()
        role, scope_id = cleaned.get("role"), cleaned.get("scope")
        if role and scope_id:
            scope = scopes_for(self.viewer, role).filter(pk=scope_id).first()
            if scope is None:
                self.add_error("scope", _("Choose a place you manage from the list."))
            else:
                cleaned["scope"] = scope
        return cleaned


def scope_choices(viewer, role: str) -> list[tuple[int, str]]:
    """Return (id, name) of the scopes of `role`'s type the viewer manages (one query)."""
    return [(obj.pk, str(obj)) for obj in scopes_for(viewer, role)]
