"""Forms of the follow-up pages: electorate objections and corrections, paper and proxy ballots, minutes,
resolution tasks, contributions and petitions. They parse input; the services decide.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.models import Category
from core.forms import BootstrapFormMixin
from governance.models import Compound, Unit
from residents.models import User

from .models import ActionItem, AgendaItem, Ballot, Meeting


class UnitChoiceField(forms.ModelChoiceField):
    """A unit shown as on the notice board: building and number (select_related the building)."""

    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.building.name}{obj.label}"


class ObjectionForm(BootstrapFormMixin, forms.Form):
    unit = UnitChoiceField(
        label=_("Which home is it about?"), queryset=Unit.objects.none(), required=False,
        empty_label=_("(not about one home)"),
    )
    text = forms.CharField(
        label=_("What is wrong in the list?"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example: the area of my home is wrong, my home is missing, the owner is wrong."),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class CorrectionFieldsMixin(forms.Form):
    """The correction itself: one unit, and its new area or its owner re-read from verified ownership."""

    unit = UnitChoiceField(label=_("Unit to correct"), queryset=Unit.objects.none(), required=False)
    area_m2 = forms.DecimalField(
        label=_("Correct area (m²)"), max_digits=8, decimal_places=2, min_value=Decimal("0.01"), required=False,
    )
    resync_owner = forms.BooleanField(
        label=_("Read the owner again from the verified ownership records"), required=False,
        help_text=_("Use this after the community has fixed the owner of this home."),
    )

    def wants_correction(self) -> bool:
        data = self.cleaned_data
        return data.get("area_m2") is not None or bool(data.get("resync_owner"))


class ObjectionAnswerForm(BootstrapFormMixin, CorrectionFieldsMixin):
    decision = forms.ChoiceField(
        label=_("Your decision"), widget=forms.RadioSelect,
        choices=[("accept", _("Accept: the list is wrong")), ("reject", _("Reject: the list is right"))],
    )
    response = forms.CharField(
        label=_("Answer to the owner"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The answer is also logged as the reason of the correction."),
    )

    field_order = ["decision", "response", "unit", "area_m2", "resync_owner"]

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units

    def clean(self):
        data = super().clean()
        if data.get("decision") == "accept" and self.wants_correction() and not data.get("unit"):
            self.add_error("unit", _("Choose the unit to correct."))
        return data


class CorrectionForm(BootstrapFormMixin, CorrectionFieldsMixin):
    reason = forms.CharField(label=_("Why is the list corrected?"), max_length=200, required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].required = True

    def clean(self):
        data = super().clean()
        if not self.errors and not self.wants_correction():
            raise forms.ValidationError(_("Enter the correct area, or tick to read the owner again."))
        return data


class CandidateChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.position}. {obj.user.real_name}"


class SheetForm(BootstrapFormMixin, forms.Form):
    """One ballot sheet: the owner it belongs to and a choice for every item of the meeting.

    Fields are named `item_<id>`, as the voting services name them in their errors.
    """

    elector = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, items: list[AgendaItem], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            name = f"item_{item.pk}"
            label = f"{item.position}. {item.title}"
            if item.kind == AgendaItem.Kind.ELECTION:
                self.fields[name] = CandidateChoiceField(
                    label=label, queryset=item.candidates.all(), required=False, widget=forms.CheckboxSelectMultiple,
                    help_text=_("Tick at most %(seats)d candidates.") % {"seats": item.seats},
                )
            else:
                self.fields[name] = forms.ChoiceField(
                    label=label, choices=Ballot.Choice.choices, widget=forms.RadioSelect, required=False,
                )
            self.fields[name].item = item

    def item_fields(self):
        return [self[f"item_{item.pk}"] for item in self.items]

    def sheet(self) -> dict[str, object]:
        """Return the choices as the services take them: {item id: choice or candidate ids}."""
        sheet: dict[str, object] = {}
        for item in self.items:
            value = self.cleaned_data.get(f"item_{item.pk}")
            if item.kind == AgendaItem.Kind.ELECTION:
                sheet[str(item.pk)] = [c.pk for c in value or ()]
            elif value:
                sheet[str(item.pk)] = value
        return sheet


class ProxyForm(SheetForm):
    proxy_name = forms.CharField(label=_("Name of the proxy"), max_length=64, required=False)
    mandate = forms.FileField(
        label=_("Written mandate signed by the owner"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,image/*,application/pdf"}),
        help_text=_("A PDF or a photo (JPG, PNG) of the signed mandate."),
    )


class MinutesForm(BootstrapFormMixin, forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"), max_length=20000, required=False, widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Who came, what was discussed, what was decided, who does what by when."),
    )


class ActionForm(BootstrapFormMixin, forms.Form):
    title = forms.CharField(label=_("What is to be done?"), max_length=120, required=False)
    description = forms.CharField(
        label=_("Details"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}),
    )
    party = forms.ChoiceField(label=_("Who does it?"), choices=ActionItem.Party.choices, widget=forms.RadioSelect,
                              required=False)
    assignee = forms.CharField(
        label=_("Person responsible: mobile number"), max_length=11, required=False,
        help_text=_("Optional. The person is told about the task."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    due_date = forms.DateField(label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    item = forms.ModelChoiceField(
        label=_("From agenda item"), queryset=AgendaItem.objects.none(), required=False, empty_label=_("(none)"),
    )

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = meeting.items.all()

    def clean_assignee(self):
        phone = self.cleaned_data["assignee"].strip()
        if not phone:
            return None
        user = User.objects.filter(phone=phone, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("Nobody with this mobile number uses the portal."))
        return user


class ActionDoneForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("What was done (optional)"), max_length=500, required=False)


class ActionCaseForm(BootstrapFormMixin, forms.Form):
    category = forms.ChoiceField(label=_("Kind of case"), choices=Category.choices)


class ContributionForm(BootstrapFormMixin, forms.Form):
    contributor = forms.CharField(label=_("Household or party"), max_length=64, required=False,
                                  help_text=_("For example: 3栋201 张家, or 物业公司."))
    unit = UnitChoiceField(label=_("Home (optional)"), queryset=Unit.objects.none(), required=False,
                           empty_label=_("(none)"))
    pledged = forms.DecimalField(label=_("Pledged (yuan)"), max_digits=10, decimal_places=2, initial=Decimal("0"))
    paid = forms.DecimalField(label=_("Paid (yuan)"), max_digits=10, decimal_places=2, initial=Decimal("0"))
    note = forms.CharField(label=_("Note"), max_length=120, required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class PetitionForm(BootstrapFormMixin, forms.Form):
    compound = forms.ModelChoiceField(label=_("Compound"), queryset=Compound.objects.none(), widget=forms.RadioSelect,
                                      empty_label=None)
    title = forms.CharField(label=_("What should the assembly decide?"), max_length=120, required=False)
    reason = forms.CharField(label=_("Why?"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, compounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = compounds
