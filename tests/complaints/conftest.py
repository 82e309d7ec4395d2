import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from governance.models import PartyOrganisation, Role, ServiceContract
from governance.services import department_create

from .. import factories


def jpeg_upload(name: str = "photo.jpg", *, gps: bool = True, size=(64, 48)) -> SimpleUploadedFile:
    """A real JPEG; with `gps` it carries an EXIF block with GPS coordinates, as phone photos do."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {1: "N", 2: (28.0, 41.0, 0.0), 3: "E", 4: (112.0, 0.0, 0.0)}
        exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def case_world(two_communities, make_staff):
    """Side "a" of two_communities staffed for the whole workflow: community, street, property, party, department."""
    a = two_communities["a"]
    company = factories.PropertyCompanyFactory()
    ServiceContract.objects.create(compound=a["compound"], company=company, start="2024-01-01", fee_per_m2_month="1.50")
    PartyOrganisation.objects.create(kind="compound_branch", name="幸福小区党支部", compound=a["compound"])
    from residents.models import User

    admin = User.objects.filter(is_superuser=True).first()
    department = department_create(district=a["street"].district, name="城管局", actor=admin)
    other_department = department_create(district=a["street"].district, name="住建局", actor=admin)
    return {
        **a,
        "company": company,
        "department": department,
        "other_department": other_department,
        "community_staff": make_staff(Role.COMMUNITY_STAFF, a["community"]),
        "street_staff": make_staff(Role.STREET_STAFF, a["street"]),
        "property_staff": make_staff(Role.PROPERTY_STAFF, company),
        "secretary": make_staff(Role.PARTY_SECRETARY, a["compound"]),
        "department_staff": make_staff(Role.DEPARTMENT_STAFF, department),
        "other_department_staff": make_staff(Role.DEPARTMENT_STAFF, other_department),
        "grid_worker": make_staff(Role.GRID_WORKER, a["grid"]),
        "outsider_staff": make_staff(Role.COMMUNITY_STAFF, two_communities["b"]["community"]),
        "resident": a["owner"],
        "neighbour": two_communities["b"]["owner"],
    }


@pytest.fixture
def survey_templates(db):
    """The default survey templates: a data migration makes them, but a transactional test that ran earlier
    flushed every table, so tests that need them make sure they exist."""
    from django.apps import apps

    from complaints.surveys import defaults

    defaults.create(apps)
