"""The signed survey link: works without a password, for its own survey only, once, until it ends, and not
for another logged-in person. The page a resident answers on a phone."""

from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from complaints.models import Status, Survey, SurveyPhoto
from complaints.surveys import scheduling, tokens

from .conftest import jpeg_upload
from .test_surveys import closed_case, followup, invite, survey_templates  # noqa: F401 - autouse fixture

pytestmark = pytest.mark.django_db
FORM = {"q_solved": "solved", "q_satisfaction": "satisfied", "q_speed": "5", "q_attitude": "4", "q_comment": ""}


@pytest.fixture
def survey(case_world):
    return invite(followup(closed_case(case_world, category="illegal_building")))


def link(survey, token=None) -> str:
    return reverse("surveys:answer", args=[survey.pk, token or tokens.make_token(survey)])


def test_the_link_in_the_message_opens_the_survey_without_logging_in(client, survey):
    from core.models import Notification

    url = Notification.objects.get(key=f"survey:{survey.pk}:invite").url
    assert url == link(survey)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="survey-form"' in html and 'name="q_speed"' in html and 'value="not_solved"' in html
    assert 'type="file"' in html and 'enctype="multipart/form-data"' in html
    assert survey.complaint.number in html


def test_answering_on_the_page_records_it_and_the_link_then_refuses(client, survey):
    done = client.post(link(survey), FORM)
    assert done.status_code == 200 and 'id="survey-done"' in done.content.decode()
    survey.refresh_from_db()
    assert (survey.status, survey.solved, survey.answers["speed"]) == ("answered", "solved", 5)
    again = client.get(link(survey))
    assert again.status_code == 410 and 'id="survey-refused"' in again.content.decode()
    assert client.post(link(survey), {**FORM, "q_solved": "not_solved", "q_comment": "x"}).status_code == 410
    assert Survey.objects.get(pk=survey.pk).solved == "solved"


def test_a_token_does_not_open_another_survey_nor_a_tampered_one(client, case_world, survey):
    other = invite(followup(closed_case(case_world, category="illegal_building")))
    token = tokens.make_token(survey)
    assert client.get(reverse("surveys:answer", args=[other.pk, token])).status_code == 404
    assert client.post(reverse("surveys:answer", args=[other.pk, token]), FORM).status_code == 404
    assert client.get(link(survey, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))).status_code == 404
    assert client.get(link(survey, "not-a-token")).status_code == 404
    # Signed with another salt (another feature's link) or for another recipient: refused too.
    foreign = signing.dumps({"s": survey.pk, "u": survey.recipient_id}, salt="something.else")
    assert client.get(link(survey, foreign)).status_code == 404
    wrong_user = signing.Signer(salt=tokens.SALT).sign_object({"s": survey.pk, "u": case_world["community_staff"].pk})
    assert client.get(link(survey, wrong_user)).status_code == 404
    timestamped = signing.dumps({"s": survey.pk, "u": survey.recipient_id}, salt=tokens.SALT)  # another format
    assert client.get(link(survey, timestamped)).status_code == 404
    assert Survey.objects.get(pk=other.pk).status == Survey.objects.get(pk=survey.pk).status == "invited"


def test_another_logged_in_person_is_refused_and_the_recipient_is_welcome(client, case_world, survey):
    client.force_login(case_world["community_staff"])
    assert client.get(link(survey)).status_code == 403
    assert client.post(link(survey), FORM).status_code == 403
    assert Survey.objects.get(pk=survey.pk).status == "invited"
    client.force_login(case_world["resident"])
    assert client.get(link(survey)).status_code == 200
    assert client.post(link(survey), FORM).status_code == 200
    assert Survey.objects.get(pk=survey.pk).status == "answered"


def test_an_expired_survey_refuses_with_410(client, survey):
    scheduling.surveys_sweep(now=survey.expires_at)
    page = client.get(link(survey))
    assert page.status_code == 410 and 'id="survey-refused"' in page.content.decode()
    assert client.post(link(survey), FORM).status_code == 410
    assert Survey.objects.get(pk=survey.pk).status == "expired"


def test_a_survey_not_sent_yet_does_not_open(client, case_world):
    scheduled = followup(closed_case(case_world, category="illegal_building"))
    assert scheduled.status == "scheduled"
    assert client.get(link(scheduled)).status_code == 404


def test_a_missing_answer_shows_the_form_again_with_what_was_chosen(client, survey):
    page = client.post(link(survey), {**FORM, "q_attitude": "", "q_comment": "路灯修好了"})
    assert page.status_code == 400
    html = page.content.decode()
    assert 'id="form-error"' in html and "路灯修好了" in html
    assert 'id="q_speed-5" value="5" checked' in html
    assert 'class="card mb-3 border-danger" id="question-attitude"' in html
    assert Survey.objects.get(pk=survey.pk).status == "invited"


def test_not_solved_on_the_page_reopens_the_case_and_says_so(client, survey):
    page = client.post(link(survey), {**FORM, "q_solved": "not_solved", "q_satisfaction": "dissatisfied",
                                      "q_comment": "墙还在"})
    assert page.status_code == 200 and 'id="survey-reopened"' in page.content.decode()
    survey.complaint.refresh_from_db()
    assert survey.complaint.status == Status.ACCEPTED


def test_a_photo_answer_is_stored_without_its_location(client, survey, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    page = client.post(link(survey), {**FORM, "q_photo": [jpeg_upload("a.jpg", gps=True)]})
    assert page.status_code == 200
    (photo,) = SurveyPhoto.objects.filter(survey=survey)
    assert photo.question_key == "photo"
    with Image.open(photo.image.path) as image:
        assert not image.getexif()
    assert Survey.objects.get(pk=survey.pk).answers["photo"] == [photo.pk]


def test_a_file_that_is_not_a_photo_is_refused_on_its_question(client, survey):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    page = client.post(link(survey), {**FORM, "q_photo": [fake]})
    assert page.status_code == 400 and 'id="question-photo"' in page.content.decode()
    assert Survey.objects.get(pk=survey.pk).status == "invited"


def test_the_token_carries_no_expiry_of_its_own_the_row_decides(survey):
    """An old link stays valid for as long as its survey is open (a resident may answer on day 13)."""
    token = tokens.make_token(survey)
    Survey.objects.filter(pk=survey.pk).update(invite_at=timezone.now() - timedelta(days=13),
                                               invited_at=timezone.now() - timedelta(days=13))
    assert tokens.survey_from_link(pk=survey.pk, token=token).pk == survey.pk
