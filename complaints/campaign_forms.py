"""Forms of the campaign and survey-template pages. They parse input; complaints.surveys.services decides."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin

from .models import Campaign, QuestionKind, SurveyKind, SurveyTemplate

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def _datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT)


class CampaignForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name of the campaign"), max_length=80,
                           help_text=_("For example: 2026 spring property service revisit"))
    template = forms.ModelChoiceField(label=_("Survey"), queryset=SurveyTemplate.objects.none())
    place = forms.ChoiceField(label=_("Place"), help_text=_("The households of this place are drawn from."))
    sample_share = forms.IntegerField(label=_("Households asked (%)"), min_value=1, max_value=100, initial=30)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=_datetime_widget(), input_formats=[LOCAL_INPUT])
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=_datetime_widget(), input_formats=[LOCAL_INPUT])
    remind_after_days = forms.IntegerField(label=_("Remind after (days)"), min_value=1, max_value=60, initial=3,
                                           help_text=_("Households who have not answered get one reminder."))

    def __init__(self, *args, places: list[tuple[str, list]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = SurveyTemplate.objects.filter(is_active=True).order_by("kind", "name", "id")
        labels = dict(Campaign.Scope.choices)
        self.fields["place"].choices = [
            (str(labels[scope]), [(f"{scope}:{place.pk}", place.name) for place in rows]) for scope, rows in places
        ]
        self._places = {f"{scope}:{place.pk}": place for scope, rows in places for place in rows}
        if not self.is_bound:
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("starts_at", now)
            self.initial.setdefault("ends_at", now + timedelta(days=14))
            if len(self._places) == 1:
                self.initial.setdefault("place", next(iter(self._places)))

    def clean_place(self):
        place = self._places.get(self.cleaned_data["place"])
        if place is None:
            raise forms.ValidationError(_("Choose a place you manage."))
        return place


class TemplateForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    intro = forms.CharField(label=_("Introduction"), max_length=500, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=_("Shown to residents above the questions."))


class TemplateCreateForm(TemplateForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=SurveyKind.choices, initial=SurveyKind.CUSTOM)
    key = forms.SlugField(label=_("Key"), max_length=40, required=False,
                          help_text=_("Letters, digits and dashes; left empty, one is made from the name."))

    def clean(self):
        data = super().clean()
        if not data.get("key") and data.get("name"):
            data["key"] = slugify(data["name"])[:32] or f"survey-{timezone.now():%Y%m%d%H%M%S}"
        return data


class TemplateEditForm(TemplateForm):
    is_active = forms.BooleanField(label=_("In use"), required=False,
                                   help_text=_("Only surveys in use can be chosen for a new campaign."))


def parse_choices(text: str) -> list[dict]:
    """One answer per line; "value|label" keeps a value fixed, otherwise the value is the line's number."""
    choices = []
    for number, line in enumerate((line.strip() for line in text.splitlines() if line.strip()), start=1):
        value, sep, label = line.partition("|")
        choices.append({"value": value.strip(), "label": label.strip()} if sep else {"value": str(number),
                                                                                      "label": line})
    return choices


def format_choices(choices: list[dict]) -> str:
    """The text of a question's answers in the form, values kept (they are what answers store)."""
    return "\n".join(f"{c['value']}|{c['label']}" for c in choices or [])


class QuestionForm(BootstrapFormMixin, forms.Form):
    text = forms.CharField(label=_("Question"), max_length=200)
    choices = forms.CharField(
        label=_("Answers to choose from"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For one or several choices: one answer per line."),
    )
    required = forms.BooleanField(label=_("Must be answered"), required=False, initial=True)

    def clean_choices(self):
        return parse_choices(self.cleaned_data.get("choices") or "")


class QuestionCreateForm(QuestionForm):
    kind = forms.ChoiceField(label=_("Kind of question"), choices=QuestionKind.choices, initial=QuestionKind.RATING)
    key = forms.SlugField(label=_("Key"), max_length=40, required=False,
                          help_text=_("Left empty, one is made for you."))

    field_order = ["kind", "text", "choices", "required", "key"]


class FiguresForm(forms.Form):
    days = forms.TypedChoiceField(choices=[(30, "30"), (90, "90"), (365, "365")], coerce=int, required=False)
