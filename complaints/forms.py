"""Forms of the resident-facing case pages. They parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from governance.models import Building, Compound, Role, Unit, UrgencyTier

from . import permissions
from .models import Answer, Category, PlaceKind, Rating, Source, Status
from .services import MAX_PHOTOS


class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to nine photos in one input; the content is checked later by complaints.photos."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultiplePhotoInput(attrs={"multiple": True, "accept": "image/*", "capture": "environment"})
        )
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Photos"))
        kwargs.setdefault("help_text", _("Up to 9 photos. You can take them with the camera."))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [super(PhotosField, self).clean(f, initial) for f in files if f]
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("At most 9 photos."))
        return files


class _LazyChoiceIterator(forms.models.ModelChoiceIterator):
    """Reads the field's queryset when iterated, not when made: the queryset may not be built yet."""

    def __init__(self, field):
        self.field = field

    @property
    def queryset(self):
        return self.field.queryset


class KnownChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose queryset is built only if needed and which takes objects already loaded.

    `narrow(make_queryset, known)`: `make_queryset()` returns the allowed objects; `known` are objects
    the caller has loaded and knows to be among them. A posted known pk costs no query; any other value
    is looked up in the queryset as usual. Building a scoped queryset (`visible_to`) costs several
    milliseconds of Python even when it never runs.
    """

    iterator = _LazyChoiceIterator

    def __init__(self, *args, **kwargs):
        self._make_queryset = None
        self._known: dict[str, object] = {}
        super().__init__(*args, **kwargs)

    def narrow(self, make_queryset, known=()) -> None:
        self._make_queryset = make_queryset
        self._known = {str(obj.pk): obj for obj in known}

    def _get_queryset(self):
        if self._make_queryset is not None:
            make, self._make_queryset = self._make_queryset, None
            self._set_queryset(make())
        return self._queryset

    queryset = property(_get_queryset, forms.ModelChoiceField._set_queryset)

    def to_python(self, value):
        if value not in self.empty_values and str(value) in self._known:
            return self._known[str(value)]
        return super().to_python(value)


class ComplaintFileForm(BootstrapFormMixin, forms.Form):
    """"我要报事": what, where, how urgent, with photos. Choices are narrowed to the user and the compound.

    A resident filing for their own home costs no query to validate: the compound and the unit are
    among the `home_units` the view has loaded; the scoped querysets are built only to show choices
    or to check anything else.
    """

    compound = KnownChoiceField(queryset=Compound.objects.none(), widget=forms.HiddenInput)
    source = forms.ChoiceField(label=_("How are you reporting?"), widget=forms.RadioSelect, required=False)
    on_behalf_phone = forms.CharField(
        label=_("Resident's mobile number (代办)"), max_length=11, required=False,
        help_text=_("For a resident who cannot use a phone: the case is theirs, you file it for them."),
    )
    category = forms.ChoiceField(label=_("What kind of problem?"), choices=Category.choices, widget=forms.RadioSelect)
    place_kind = forms.ChoiceField(label=_("Where?"), choices=PlaceKind.choices, widget=forms.RadioSelect)
    unit = KnownChoiceField(label=_("Which home?"), queryset=Unit.objects.none(), required=False)
    building = forms.ModelChoiceField(label=_("Which building?"), queryset=Building.objects.none(), required=False)
    place_note = forms.CharField(
        label=_("Where exactly?"), max_length=100, required=False,
        help_text=_("For example: 2nd floor stairs, east gate, parking lot B."),
    )
    urgency = forms.ChoiceField(
        label=_("How urgent?"), widget=forms.RadioSelect, initial=UrgencyTier.GENERAL,
        choices=[(UrgencyTier.GENERAL, _("General")), (UrgencyTier.EMERGENCY, _("Emergency"))],
        help_text=_("Emergency means danger right now: gas smell, flooding, fire, someone trapped in a lift. "
                    "It is accepted within 1 hour. In danger to life, call 110, 119 or 120 first."),
    )
    title = forms.CharField(label=_("In a few words, what is wrong?"), max_length=60)
    description = forms.CharField(
        label=_("Tell us more"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Since when? How often? Who is affected?"),
    )
    hide_name = forms.BooleanField(label=_("Hide my name from the public"), required=False, initial=True)
    photos = PhotosField()

    def __init__(self, *args, user, compounds, compound: Compound | None, home_units, **kwargs):
        """`compounds`: a function returning the compounds the user may report in (called only if needed);
        `compound`: the one chosen, among them; `home_units`: the user's homes, with building__compound."""
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["compound"].narrow(compounds, [compound] if compound is not None else [])
        mine = [u for u in home_units if u.building.compound_id == getattr(compound, "pk", None)]
        if compound is not None:
            self.fields["compound"].initial = compound.pk
            self.fields["building"].queryset = Building.objects.filter(compound=compound).order_by("name")
            # A home is always among the units the user sees (visible_to includes the resident's own).
            self.fields["unit"].narrow(
                lambda: Unit.objects.visible_to(user).filter(building__compound=compound).select_related("building"),
                mine,
            )
        self.fields["unit"].label_from_instance = lambda u: f"{u.building.name} {u.label}"
        self.fields["place_kind"].initial = PlaceKind.UNIT if mine else PlaceKind.BUILDING
        if len(mine) == 1:
            self.fields["unit"].initial = mine[0].pk
        self.source_choices = self._source_choices(compound)
        if len(self.source_choices) > 1:
            self.fields["source"].choices = self.source_choices
            self.fields["source"].initial = Source.RESIDENT
        else:
            del self.fields["source"]
        if Source.ON_BEHALF not in dict(self.source_choices):
            del self.fields["on_behalf_phone"]

    def _source_choices(self, compound) -> list[tuple[str, str]]:
        choices = [(Source.RESIDENT, _("For myself"))]
        if compound is None:
            return choices
        if self.is_bound and self.add_prefix("source") not in self.data:
            # Posted from a form that showed no choice (a resident's): "for myself", as an empty choice would
            # be, so the roles need not be asked.
            return choices
        roles = permissions.filing_roles(self.user, compound)  # one query for both rules
        if Role.GRID_WORKER in roles:
            choices += [
                (Source.ON_BEHALF, _("For a resident (代办)")),
                (Source.GRID_PATROL, _("Found on my patrol")),
            ]
        if Role.PROPERTY_STAFF in roles:
            choices.append((Source.PROPERTY, _("As the property company")))
        if self.user.is_party_member:
            choices.append((Source.PARTY_POST, _("From my party post")))
        return choices

    def clean_on_behalf_phone(self):
        from residents.models import User

        phone = self.cleaned_data.get("on_behalf_phone", "").strip()
        if self.data.get(self.add_prefix("source")) != Source.ON_BEHALF:
            return None
        if not phone:
            raise forms.ValidationError(_("Enter the resident's mobile number."))
        person = User.objects.filter(phone=phone, is_active=True).first()
        if person is None:
            raise forms.ValidationError(_("No resident has this mobile number. Ask the community to register them."))
        return person

    def clean(self):
        data = super().clean()
        kind = data.get("place_kind")
        if kind == PlaceKind.UNIT and not data.get("unit"):
            self.add_error("unit", _("Choose the unit."))
        if kind == PlaceKind.BUILDING and not data.get("building"):
            self.add_error("building", _("Choose the building."))
        if kind == PlaceKind.PUBLIC_AREA and not data.get("place_note", "").strip():
            self.add_error("place_note", _("Say where in the compound."))
        return data


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("All")), ("open", _("Not finished yet")), *Status.choices],
    )
    category = forms.ChoiceField(label=_("Category"), required=False, choices=[("", _("All")), *Category.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-lg"


class VersionedForm(BootstrapFormMixin, forms.Form):
    """A form about a case as the user saw it: a stale `version` makes the service answer with a conflict."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class ProvideInfoForm(VersionedForm):
    answer = forms.CharField(label=_("Your answer"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField()


class ConfirmForm(VersionedForm):
    answer = forms.ChoiceField(label=_("Is the problem solved?"), choices=Answer.choices, widget=forms.RadioSelect)
    rating = forms.ChoiceField(label=_("Are you satisfied?"), choices=Rating.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when it is not solved or you are not satisfied: say what is still wrong."),
    )

    def clean(self):
        data = super().clean()
        if (data.get("answer") == Answer.NOT_SOLVED or data.get("rating") == Rating.DISSATISFIED) and not data.get(
            "comment", ""
        ).strip():
            self.add_error("comment", _("Tell us what is still wrong, so it can be handled again."))
        return data


class CommentForm(BootstrapFormMixin, forms.Form):
    text = forms.CharField(label=_("Comment"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    internal = forms.BooleanField(label=_("Staff only (not shown to residents)"), required=False)
    photos = PhotosField()

    def __init__(self, *args, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            del self.fields["internal"]
