"""Forms of the suggestion box pages. They parse input; complaints.suggestions decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin

from .models import Recipient, SuggestionStatus
from .suggestions import TEXT_MAX, TITLE_MAX


class SuggestionForm(BootstrapFormMixin, forms.Form):
    recipient = forms.ChoiceField(label=_("Who is it for?"), choices=Recipient.choices, widget=forms.RadioSelect)
    title = forms.CharField(label=_("In a few words, what is it about?"), max_length=TITLE_MAX)
    text = forms.CharField(
        label=_("Your suggestion"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What would you like to change, and why?"),
    )
    anonymous = forms.BooleanField(
        label=_("Do not show my name to the recipient"), required=False,
        help_text=_("The recipient then sees “Anonymous resident”. Community staff can still see who wrote it."),
    )

    def __init__(self, *args, recipients: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Recipient.choices)
        self.fields["recipient"].choices = [(value, labels[value]) for value in recipients]
        if len(recipients) == 1:
            self.fields["recipient"].initial = recipients[0]


class AnswerForm(BootstrapFormMixin, forms.Form):
    answer = forms.CharField(label=_("Your answer"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5}))
    publish = forms.BooleanField(
        label=_("Also publish it on the compound board"), required=False,
        help_text=_("Neighbours then read the suggestion and your answer. The author's name is hidden or shortened."),
    )


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Show"), required=False,
        choices=[("", _("all")), *SuggestionStatus.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-lg"}),
    )
