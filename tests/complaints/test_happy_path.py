import pytest
from PIL import Image

from complaints import services
from complaints.models import Answer, HandlerKind, Rating, Status
from complaints.photos import process_photos

from .conftest import jpeg_upload


@pytest.mark.django_db
def test_a_case_goes_from_report_to_the_residents_rating(case_world):
    w = case_world
    case = services.complaint_file(
        actor=w["resident"], compound=w["compound"], category="facilities", urgency="general",
        title="楼道灯坏了", description="3栋2单元楼道灯坏了一周", place_kind="building", building=w["building"],
        photos=process_photos([jpeg_upload()]),
    )
    assert case.number.startswith("TS") and len(case.number) == 14
    assert case.status == Status.SUBMITTED
    services.complaint_accept(complaint=case, actor=w["community_staff"], version=case.version)
    dispatch = services.complaint_dispatch(
        complaint=case, actor=w["community_staff"], handler_kind=HandlerKind.DEPARTMENT, department=w["department"]
    )
    services.dispatch_acknowledge(dispatch=dispatch, actor=w["department_staff"])
    services.dispatch_record(dispatch=dispatch, actor=w["department_staff"], what="contact")
    services.dispatch_record(dispatch=dispatch, actor=w["department_staff"], what="arrival")
    services.dispatch_resolve(dispatch=dispatch, actor=w["department_staff"], result="已更换灯泡",
                              photos=process_photos([jpeg_upload("after.jpg")]))
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    services.complaint_verify(complaint=case, actor=w["community_staff"], passed=True)
    case.refresh_from_db()
    assert case.status == Status.AWAITING_CONFIRMATION
    services.complaint_confirm(complaint=case, actor=w["resident"], answer=Answer.SOLVED, rating=Rating.SATISFIED)
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.counts_as_solved
    kinds = list(case.timeline.values_list("kind", flat=True))
    assert kinds == [
        "filed", "accepted", "whistled", "acknowledged", "contact_recorded", "arrival_recorded",
        "dispatch_resolved", "resolved", "verified", "confirmed",
    ]
    photo = case.attachments.first()
    with Image.open(photo.image.path) as image:
        assert not image.getexif()  # GPS and maker stripped
