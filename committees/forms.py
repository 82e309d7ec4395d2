"""Forms of the meeting pages. They parse input; the services decide (and their errors land on these fields)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from governance.models import Building
from residents.models import User

from . import tally
from .models import AgendaItem, Matter, Meeting

DATETIME_INPUT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(forms.DateTimeField):
    """A phone's own date and time picker (<input type="datetime-local">)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", [DATETIME_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"])
        super().__init__(*args, **kwargs)


class BuildingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Building) -> str:
        return f"{obj.compound.name} · {obj.name}"


class MeetingForm(BootstrapFormMixin, forms.Form):
    """Convene a meeting (and change a draft: then compound, kind, building and convener stay as they are)."""

    compound = forms.ModelChoiceField(label=_("Compound"), queryset=None, empty_label=None)
    kind = forms.ChoiceField(
        label=_("What kind of meeting?"), choices=Meeting.Kind.choices, widget=forms.RadioSelect,
        help_text=_("An owners' assembly decides the Civil Code matters and needs a voting window. Its notice must be "
                    "published at least 15 days before voting opens."),
    )
    building = BuildingChoiceField(
        label=_("Building"), queryset=None, required=False,
        help_text=_("Only for a building meeting: the building whose households vote."),
    )
    entrance = forms.CharField(
        label=_("Entrance"), max_length=16, required=False, help_text=_("Leave empty for the whole building."),
    )
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("What is it about?"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000,
    )
    convener = forms.ChoiceField(label=_("Who convenes it?"), choices=Meeting.Convener.choices, widget=forms.RadioSelect)
    place = forms.CharField(label=_("Place"), max_length=120, required=False, help_text=_("For example: the activity room."))
    starts_at = LocalDateTimeField(label=_("Meeting time"))
    vote_opens_at = LocalDateTimeField(
        label=_("Voting opens"), required=False,
        help_text=_("Leave both voting times empty for a meeting without a vote. For an owners' assembly, voting may "
                    "open no sooner than 15 days after the notice is published."),
    )
    vote_closes_at = LocalDateTimeField(
        label=_("Voting closes"), required=False,
        help_text=_("The result is counted and published automatically at this time."),
    )
    precedence = forms.ChoiceField(
        label=_("When one owner votes twice"), choices=Meeting.Precedence.choices, widget=forms.RadioSelect,
        initial=Meeting.Precedence.FIRST_WINS,
    )

    FIXED_AFTER_CREATION = ("compound", "kind", "building", "convener")

    def __init__(self, *args, compounds=None, meeting: Meeting | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if meeting is not None:  # changing a draft
            for name in self.FIXED_AFTER_CREATION:
                del self.fields[name]
            if meeting.kind != Meeting.Kind.BUILDING:
                del self.fields["entrance"]
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, required=False)
            return
        self.fields["compound"].queryset = compounds.order_by("name")
        self.fields["building"].queryset = (
            Building.objects.filter(compound__in=compounds).select_related("compound").order_by("compound__name", "name")
        )

    def clean(self):
        data = super().clean()
        building, compound = data.get("building"), data.get("compound")
        if "kind" in self.fields and data.get("kind") == Meeting.Kind.BUILDING:
            if building is None:
                self.add_error("building", _("Choose the building."))
            elif compound is not None and building.compound_id != compound.pk:
                self.add_error("building", _("This building is not in the compound."))
        return data


class ItemForm(BootstrapFormMixin, forms.Form):
    """An agenda item. At an assembly the rule follows from the Civil Code matter; elsewhere it is chosen."""

    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("What exactly is decided?"), required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=4000,
    )
    proposer = forms.ChoiceField(label=_("Who proposes it?"), choices=AgendaItem.Proposer.choices, widget=forms.RadioSelect)
    kind = forms.ChoiceField(
        label=_("Question or election?"), choices=AgendaItem.Kind.choices, widget=forms.RadioSelect,
        initial=AgendaItem.Kind.QUESTION,
    )
    matter = forms.TypedChoiceField(
        label=_("Which Civil Code matter?"), coerce=int, required=False, empty_value=None,
        help_text=_("The decision rule follows from the matter (民法典 第278条) and cannot be chosen by hand."),
    )
    rule = forms.ChoiceField(
        label=_("How is it decided?"), widget=forms.RadioSelect, required=False,
        choices=[(tally.HOUSEHOLD_MAJORITY, AgendaItem.Rule.HOUSEHOLD_MAJORITY.label),
                 (tally.CONSENSUS, AgendaItem.Rule.CONSENSUS.label)],
        initial=tally.HOUSEHOLD_MAJORITY,
    )
    seats = forms.TypedChoiceField(
        label=_("Seats to fill"), coerce=int, required=False, empty_value=None,
        choices=[("", "—")] + [(n, str(n)) for n in (5, 7, 9, 11)],
        help_text=_("Only for an election: a committee has 5 to 11 members, an odd number."),
    )

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        if meeting.kind == Meeting.Kind.ASSEMBLY:
            del self.fields["rule"]
            rules = dict(AgendaItem.Rule.choices)
            self.fields["matter"].choices = [("", "—")] + [
                (value, f"{label} — {rules[tally.rule_for_matter(value)]}") for value, label in Matter.choices
            ]
        else:
            for name in ("matter", "kind", "seats"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        if data.get("kind") == AgendaItem.Kind.ELECTION:
            data["matter"] = Matter.COMMITTEE
            if not data.get("seats"):
                self.add_error("seats", _("Say how many seats the election fills."))
        elif "matter" in self.fields and data.get("matter") is None and "matter" not in self.errors:
            self.add_error("matter", _("Choose which Civil Code matter this item is."))
        return data


class ConfirmForm(BootstrapFormMixin, forms.Form):
    """A bare confirmation carrying the version of the page the person saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CancelForm(ConfirmForm):
    reason = forms.CharField(
        label=_("Why is the meeting cancelled?"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Residents who got the notice are told, with this reason kept in the record."),
    )


def _users_by_phone(text: str) -> tuple[list, list[str]]:
    phones = [p for p in (part.strip() for part in text.replace(",", "\n").replace("，", "\n").split()) if p]
    found = {u.phone: u for u in User.objects.filter(phone__in=phones, is_active=True)}
    return [found[p] for p in dict.fromkeys(phones) if p in found], [p for p in phones if p not in found]


class TellersForm(BootstrapFormMixin, forms.Form):
    tellers = forms.CharField(
        label=_("Tellers' mobile numbers"), widget=forms.Textarea(attrs={"rows": 3, "inputmode": "tel"}),
        help_text=_("One mobile number per line, at least two people: each paper ballot is entered by two tellers."),
    )

    def clean_tellers(self):
        users, unknown = _users_by_phone(self.cleaned_data["tellers"])
        if unknown:
            raise forms.ValidationError(
                _("Nobody is registered with the mobile number %(phones)s. Check the number or ask them to register "
                  "first.") % {"phones": "、".join(unknown)}
            )
        return users


class VoteForm(forms.Form):
    """One item's ballot: yes / no / abstain, or the candidates marked (at most as many as there are seats)."""

    choice = forms.ChoiceField(label=_("Your vote"), choices=[
        (tally.YES, _("Agree")), (tally.NO, _("Disagree")), (tally.ABSTAIN, _("Abstain")),
    ])
    candidates = forms.MultipleChoiceField(label=_("Candidates you vote for"), required=False,
                                           widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, item: AgendaItem, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        if item.kind == AgendaItem.Kind.ELECTION:
            del self.fields["choice"]
            self.fields["candidates"].choices = [(str(c.pk), c.user.real_name) for c in item.candidates.all()]
        else:
            del self.fields["candidates"]

    def clean_candidates(self):
        ids = [int(pk) for pk in self.cleaned_data["candidates"]]
        if len(ids) > self.item.seats:
            raise forms.ValidationError(_("Mark at most %(seats)d candidates.") % {"seats": self.item.seats})
        return ids


class CommentForm(BootstrapFormMixin, forms.Form):
    body = forms.CharField(label=_("Your comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class PartyOpinionForm(BootstrapFormMixin, forms.Form):
    text = forms.CharField(label=_("The party branch's opinion"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))


class CandidateForm(BootstrapFormMixin, forms.Form):
    phone = forms.CharField(
        label=_("Candidate's mobile number"), max_length=11, widget=forms.TextInput(attrs={"inputmode": "tel"}),
        help_text=_("The candidate must be a verified owner in this compound."),
    )
    statement = forms.CharField(label=_("Candidate's statement"), required=False, max_length=2000,
                                widget=forms.Textarea(attrs={"rows": 3}))
    vetting_note = forms.CharField(label=_("Party branch review"), required=False, max_length=200)

    def clean_phone(self):
        users, _unknown = _users_by_phone(self.cleaned_data["phone"])
        if not users:
            raise forms.ValidationError(_("Nobody is registered with this mobile number. Check the number."))
        return users[0]


class DocumentForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Document name"), max_length=120, required=False,
                           help_text=_("For example: the property company's offer. Leave empty to use the file name."))
    file = forms.FileField(label=_("File"), help_text=_("A PDF, a picture or an Office file, up to 20 MB."))


class ReceiptForm(BootstrapFormMixin, forms.Form):
    code = forms.CharField(label=_("Receipt code"), max_length=20,
                           help_text=_("The code you got when you voted, for example K7M2Q9XBTA."))
