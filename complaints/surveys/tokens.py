"""The signed link of a survey: /surveys/<id>/<token>/, answerable without a password.

The token signs {survey id, recipient id} (django.core.signing, salt "complaints.survey"). It carries no
expiry of its own: the survey's row decides. A link is accepted only for its own survey, only while the
survey is open (invited and not past expires_at: so once, since an answered survey is closed), and not
while another person is logged in on that browser.
"""

from __future__ import annotations

from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError

from ..models import Survey

SALT = "complaints.survey"


def _signer() -> signing.Signer:
    # Not a TimestampSigner: the survey's own window is the expiry, and one survey always has one link.
    return signing.Signer(salt=SALT)


def make_token(survey: Survey) -> str:
    return _signer().sign_object({"s": survey.pk, "u": survey.recipient_id})


def survey_path(survey: Survey) -> str:
    return reverse("surveys:answer", args=[survey.pk, make_token(survey)])


def survey_from_link(*, pk: int, token: str, user=None) -> Survey:
    """Return the survey a link opens, or raise ApplicationError: code "not_found" for a link that is not
    this survey's, "forbidden" for another logged-in person, "gone" for a survey no longer open."""
    try:
        data = _signer().unsign_object(token)
    except (signing.BadSignature, ValueError):  # ValueError: signed, but not an object this code signs
        data = None
    survey = Survey.objects.select_related("template", "complaint", "campaign").filter(pk=pk).first()
    if (
        survey is None or not isinstance(data, dict) or data.get("s") != survey.pk
        or data.get("u") != survey.recipient_id
    ):
        raise ApplicationError(_("This survey link is not valid. Please use the link in your message."), code="not_found")
    if user is not None and user.is_authenticated and user.pk != survey.recipient_id:
        raise ApplicationError(
            _("This survey was sent to someone else. Log out first if this is your own link."), code="forbidden"
        )
    check_open(survey)
    return survey


def check_open(survey: Survey) -> None:
    if survey.status == Survey.Status.ANSWERED:
        raise ApplicationError(_("You have already answered this survey. Thank you!"), code="gone")
    if survey.status == Survey.Status.EXPIRED or (
        survey.status in (Survey.Status.SCHEDULED, Survey.Status.INVITED) and survey.expires_at <= timezone.now()
    ):
        raise ApplicationError(_("This survey has ended and can no longer be answered."), code="gone")
    if survey.status == Survey.Status.CANCELLED:
        raise ApplicationError(_("This survey was withdrawn and can no longer be answered."), code="gone")
    if survey.status == Survey.Status.SCHEDULED:
        raise ApplicationError(_("This survey is not open yet."), code="not_found")
