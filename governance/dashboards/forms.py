"""The date range every dashboard page, export and API call reads: GET `from` and `to` (both days included)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .query import add_months, month_start, same_period_last_year

MAX_DAYS = 3 * 366  # "over three years" is refused: the rollups answer it, but nobody reads such a figure


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def last_year(self) -> Period:
        return Period(*same_period_last_year(self.start, self.end))

    def as_params(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def default_period(today: date | None = None) -> Period:
    """Return 1 January of this year → today (Asia/Shanghai)."""
    today = today or timezone.localdate()
    return Period(today.replace(month=1, day=1), today)


def presets(today: date | None = None) -> list[tuple[str, Period]]:
    """Return the quick choices: 本月, 本年, 近12个月 (each up to today)."""
    today = today or timezone.localdate()
    return [
        (_("This month"), Period(month_start(today), today)),
        (_("This year"), Period(today.replace(month=1, day=1), today)),
        (_("Last 12 months"), Period(add_months(month_start(today), -11), today)),
    ]


class RangeForm(forms.Form):
    # Field names are Python words; the GET parameters are `from` and `to` (see `from_params`).
    start = forms.DateField(label=_("From"), required=False, input_formats=["%Y-%m-%d"],
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, input_formats=["%Y-%m-%d"],
                          widget=forms.DateInput(attrs={"type": "date"}))

    PARAMS = {"start": "from", "end": "to"}

    @classmethod
    def from_params(cls, params) -> RangeForm:
        data = {field: params.get(param, "") for field, param in cls.PARAMS.items()}
        return cls(data, auto_id="range-%s")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        default = default_period()
        start = cleaned.get("start") or default.start
        end = cleaned.get("end") or default.end
        if end < start:
            self.add_error("end", _("The end date must not be before the start date."))
        elif (end - start).days >= MAX_DAYS:
            self.add_error("start", _("Choose a range of at most three years."))
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def period(self) -> Period:
        """Return the chosen period (call after is_valid())."""
        return Period(self.cleaned_data["start"], self.cleaned_data["end"])

    def param_errors(self) -> dict[str, list[str]]:
        """Return the errors keyed by GET parameter name (`from`, `to`), for the API."""
        return {self.PARAMS.get(field, field): [str(m) for m in messages] for field, messages in self.errors.items()}


def parse_period(params) -> tuple[Period, RangeForm]:
    """Return (the period asked for, or the default one when the dates are bad; the bound form)."""
    form = RangeForm.from_params(params)
    if form.is_valid():
        return form.period(), form
    return default_period(), form
