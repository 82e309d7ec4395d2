from django import forms


class BootstrapFormMixin:
    """Give every widget Bootstrap's large controls, and mark invalid fields after validation.

    Marking happens in full_clean, not __init__, so a subclass may still narrow its choices (or set
    what its clean methods need) after super().__init__().
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-lg"
            else:
                css = "form-control form-control-lg"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self._errors or ():
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def add_service_error(form: forms.Form, error, aliases: dict[str, str] | None = None) -> None:
    """Show a service's ApplicationError on the form field it names (through `aliases` if the names differ),
    or above the form when no field fits."""
    field = (aliases or {}).get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, error.message)


def page_query(request) -> str:
    """Return the request's query string without `page`, for pagination links that keep the filters."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
