from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordChangeForm as BasePasswordChangeForm
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin


class PhoneLoginForm(BootstrapFormMixin, AuthenticationForm):
    username = forms.CharField(
        label=_("Mobile number"),
        max_length=11,
        widget=forms.TextInput(attrs={"autofocus": True, "inputmode": "numeric", "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    error_messages = {
        "invalid_login": _("The mobile number or password is wrong. After 5 failed attempts the account is locked for 30 minutes."),
        "inactive": _("This account is disabled. Please contact your community office."),
    }


class PasswordChangeForm(BootstrapFormMixin, BasePasswordChangeForm):
    pass
