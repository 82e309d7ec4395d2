"""Forms of the homes pages: claiming a unit, verifying claims, voters and tenants."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from governance.models import Building, Compound, Unit

from .models import Ownership, User, phone_validator

COMPOUND_SEARCH_LIMIT = 20


def _int_or_none(value) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() else None


def compound_search(q: str):
    """Return compounds whose name contains `q` (any compound of the district; none for an empty q)."""
    q = (q or "").strip()
    if not q:
        return Compound.objects.none()
    return Compound.objects.filter(name__icontains=q).select_related("community").order_by("name")


class CompoundChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Compound) -> str:
        return f"{obj.name}（{obj.community.name}）"


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return obj.label


class OwnershipClaimForm(BootstrapFormMixin, forms.Form):
    """Compound → building → unit, each list narrowed by the choice before it.

    The choices depend on the submitted values, so the form also works without JavaScript
    (a "Search" button reloads the page); with htmx the lists fill in as the resident picks.
    """

    q = forms.CharField(
        label=_("Name of your compound"), required=False, max_length=64,
        help_text=_("Type part of the name, for example 融和"),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    compound = CompoundChoiceField(
        label=_("Compound"), queryset=Compound.objects.none(), empty_label=_("Choose your compound"),
        error_messages={"required": _("Choose your compound."), "invalid_choice": _("Choose your compound from the list.")},
    )
    building = forms.ModelChoiceField(
        label=_("Building"), queryset=Building.objects.none(), empty_label=_("Choose your building"),
        error_messages={"required": _("Choose your building."), "invalid_choice": _("Choose your building from the list.")},
    )
    unit = UnitChoiceField(
        label=_("Unit"), queryset=Unit.objects.none(), empty_label=_("Choose your unit"),
        error_messages={"required": _("Choose your unit."), "invalid_choice": _("Choose your unit from the list.")},
    )
    evidence = forms.CharField(
        label=_("Property certificate number"), max_length=200,
        help_text=_("The number on your property certificate (不动产权证) or purchase contract."),
        error_messages={"required": _("Enter the number of your property certificate or purchase contract.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        source = self.data if self.is_bound else self.initial
        q = (source.get("q") or "").strip()
        compound_id = _int_or_none(source.get("compound"))
        building_id = _int_or_none(source.get("building"))
        compounds = Compound.objects.select_related("community").order_by("name")
        condition = Q(pk=compound_id) if compound_id else Q(pk__in=[])
        if q:
            condition |= Q(name__icontains=q)
        self.fields["compound"].queryset = compounds.filter(condition)
        if compound_id:
            self.fields["building"].queryset = Building.objects.filter(compound_id=compound_id).order_by("name")
        if building_id:
            self.fields["unit"].queryset = Unit.objects.filter(
                building_id=building_id, building__compound_id=compound_id
            ).order_by("entrance", "number")
        # htmx fills each list from the choice before it (partials return <option>s).
        self.fields["q"].widget.attrs.update({
            "hx-get": reverse("homes:claim-compounds"), "hx-trigger": "input changed delay:400ms, search",
            "hx-target": "#id_compound",
        })
        self.fields["compound"].widget.attrs.update(
            {"hx-get": reverse("homes:claim-buildings"), "hx-trigger": "change", "hx-target": "#id_building"}
        )
        self.fields["building"].widget.attrs.update(
            {"hx-get": reverse("homes:claim-units"), "hx-trigger": "change", "hx-target": "#id_unit"}
        )


class RejectForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejection"), max_length=200,
        help_text=_("The resident will read this, so say what to bring or fix."),
        widget=forms.TextInput(attrs={"placeholder": _("Reason for rejection"), "aria-label": _("Reason for rejection")}),
        error_messages={"required": _("Tell the resident why the claim is rejected.")},
    )


class QueueFilterForm(BootstrapFormMixin, forms.Form):
    STATUS_ALL = "all"

    compound = forms.ModelChoiceField(label=_("Compound"), queryset=Compound.objects.none(), required=False,
                                      empty_label=_("All my compounds"))
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[*Ownership.Status.choices, (STATUS_ALL, _("all"))],
    )

    def __init__(self, *args, compounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = compounds


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Ownership) -> str:
        return obj.user.real_name


class SetVoterForm(BootstrapFormMixin, forms.Form):
    ownership = OwnerChoiceField(
        label=_("Designated voter"), queryset=Ownership.objects.none(), widget=forms.RadioSelect, empty_label=None,
        error_messages={"required": _("Choose the owner who votes for this unit.")},
    )

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ownership"].queryset = owners


class TenancyForm(BootstrapFormMixin, forms.Form):
    phone = forms.CharField(
        label=_("Tenant's mobile number"), max_length=11, validators=[phone_validator],
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=_("The tenant must have registered an account."),
    )
    start = forms.DateField(label=_("Lease start"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Lease end"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_phone(self) -> User:
        phone = self.cleaned_data["phone"]
        person = User.objects.filter(phone=phone, is_active=True).first()
        if person is None:
            raise forms.ValidationError(_("No registered person has this mobile number."))
        return person
