"""The in-app inbox: the user's messages, newest first; open one (marks it read), or mark all read."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .forms import BootstrapFormMixin
from .inbox import delivery_preference_set, notification_mark_read
from .models import DeliveryPreference, Notification

INBOX_PAGE_SIZE = 20


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """List the user's messages, 20 a page (a count and a page query, whatever the page holds)."""
    page = Paginator(Notification.objects.filter(user=request.user).order_by("-created_at", "-id"), INBOX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "core/inbox.html", {"page": page, "query": ""})


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one message read and go to what it is about."""
    notification = get_object_or_404(Notification.objects.filter(user=request.user), pk=pk)
    notification_mark_read(user=request.user, notification_id=notification.pk)
    if notification.url and url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()}):
        return redirect(notification.url)
    return redirect("inbox:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    changed = notification_mark_read(user=request.user)
    if changed:
        messages.success(request, _("All messages are marked as read."))
    return redirect("inbox:list")


class DeliveryPreferenceForm(BootstrapFormMixin, forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("E-mail address"), required=False,
        help_text=gettext_lazy("Optional. Messages also come by e-mail; leave it empty if you have none."),
    )
    reminders_opt_out = forms.BooleanField(
        label=gettext_lazy("Do not send me reminders by SMS or e-mail"),
        help_text=gettext_lazy("Reminders still arrive here in your messages."),
        required=False,
    )


@login_required
def delivery_preferences(request: HttpRequest) -> HttpResponse:
    """Let a person turn SMS and e-mail reminders off (or back on)."""
    current = DeliveryPreference.objects.filter(user=request.user).values_list("reminders_opt_out", flat=True).first()
    posted = request.method == "POST"  # an unticked box posts nothing, so test the method, not request.POST
    initial = {"reminders_opt_out": bool(current), "email": request.user.email}
    form = DeliveryPreferenceForm(request.POST if posted else None, initial=initial)
    if posted and form.is_valid():
        delivery_preference_set(user=request.user, reminders_opt_out=form.cleaned_data["reminders_opt_out"],
                                email=form.cleaned_data["email"], actor=request.user)
        messages.success(request, _("Your choice is saved."))
        return redirect("inbox:preferences")
    return render(request, "core/preferences.html", {"form": form})
