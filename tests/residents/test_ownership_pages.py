"""The homes pages: claiming a unit with htmx partials, the verification queue, voters and tenants."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.masking import mask_phone
from governance.models import Role
from residents import services
from residents.models import Ownership, Tenancy
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(two_communities, make_staff):
    a = two_communities["a"]
    return {
        **two_communities,
        "staff": make_staff(Role.COMMUNITY_STAFF, a["community"]),
        "staff_b": make_staff(Role.COMMUNITY_STAFF, two_communities["b"]["community"]),
    }


def claim_for(unit, **user_fields):
    person = factories.UserFactory(**user_fields)
    return services.ownership_claim(user=person, unit=unit, evidence="湘(2021)第0002号", actor=person)


@pytest.mark.django_db
def test_resident_claims_a_unit_step_by_step_with_htmx_partials(client, world):
    a = world["a"]
    person = factories.UserFactory()
    client.force_login(person)

    page = client.get(reverse("homes:claim"))
    assert page.status_code == 200
    assert b'hx-get="/homes/claim/compounds/"' in page.content

    compounds = client.get(reverse("homes:claim-compounds"), {"q": a["compound"].name[-4:]}, **HTMX)
    body = compounds.content.decode()
    assert f'<option value="{a["compound"].pk}">' in body
    assert f'<option value="{world["b"]["compound"].pk}">' not in body
    assert 'id="id_building" hx-swap-oob="innerHTML"' in body

    buildings = client.get(reverse("homes:claim-buildings"), {"compound": a["compound"].pk}, **HTMX).content.decode()
    assert f'<option value="{a["building"].pk}">{a["building"].name}</option>' in buildings
    assert f'<option value="{a["other_building"].pk}">' in buildings

    units = client.get(reverse("homes:claim-units"), {"building": a["building"].pk}, **HTMX).content.decode()
    unit = a["units"][1]
    assert f'<option value="{unit.pk}">{unit.label}</option>' in units

    response = client.post(
        reverse("homes:claim"),
        {"q": "", "compound": a["compound"].pk, "building": a["building"].pk, "unit": unit.pk, "evidence": "0002号"},
    )
    assert response.status_code == 302
    claim = Ownership.objects.get(user=person)
    assert (claim.unit, claim.status, claim.evidence) == (unit, Ownership.Status.CLAIMED, "0002号")

    mine = client.get(reverse("homes:list")).content.decode()
    assert f'id="ownership-{claim.pk}"' in mine
    assert "text-bg-warning" in mine  # awaiting verification


@pytest.mark.django_db
def test_claim_form_without_javascript_narrows_the_lists_then_reports_errors(client, world):
    a = world["a"]
    client.force_login(factories.UserFactory())
    step = client.post(reverse("homes:claim"), {"step": "search", "q": a["compound"].name})
    form = step.context["form"]
    assert not form.errors
    assert list(form.fields["compound"].queryset) == [a["compound"]]

    step = client.post(reverse("homes:claim"), {"step": "next", "compound": a["compound"].pk, "building": a["building"].pk})
    assert set(step.context["form"].fields["unit"].queryset) == set(a["units"])

    # A unit of another building cannot be smuggled in.
    wrong = client.post(
        reverse("homes:claim"),
        {"compound": a["compound"].pk, "building": a["other_building"].pk, "unit": a["units"][0].pk, "evidence": ""},
    )
    assert wrong.status_code == 200
    assert set(wrong.context["form"].errors) == {"unit", "evidence"}
    assert not Ownership.objects.filter(status=Ownership.Status.CLAIMED).exists()


@pytest.mark.django_db
def test_duplicate_claim_is_a_form_error_on_the_unit(client, world):
    a = world["a"]
    claim = claim_for(a["units"][1])
    client.force_login(claim.user)
    data = {"compound": a["compound"].pk, "building": a["building"].pk, "unit": a["units"][1].pk, "evidence": "X"}
    response = client.post(reverse("homes:claim"), data)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["unit"]


@pytest.mark.django_db
def test_form_errors_are_in_chinese_by_default(client, world):
    client.force_login(factories.UserFactory())
    response = client.post(reverse("homes:claim"), {"evidence": "X"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert '<html lang="zh-hans">' in response.content.decode()


@pytest.mark.django_db
def test_the_resident_reads_the_rejection_reason(client, world):
    claim = claim_for(world["a"]["units"][1])
    services.ownership_reject(ownership=claim, reason="请携带房产证原件到社区核对", actor=world["staff"])
    client.force_login(claim.user)
    body = client.get(reverse("homes:list")).content.decode()
    assert "请携带房产证原件到社区核对" in body


@pytest.mark.django_db
def test_resident_withdraws_their_claim(client, world):
    claim = claim_for(world["a"]["units"][1])
    client.force_login(claim.user)
    assert client.post(reverse("homes:withdraw", args=[claim.pk])).status_code == 302
    claim.refresh_from_db()
    assert claim.end is not None
    other = claim_for(world["a"]["units"][0])
    assert client.post(reverse("homes:withdraw", args=[other.pk])).status_code == 404


@pytest.mark.django_db
def test_queue_lists_claims_of_managed_compounds_with_full_contacts(client, world):
    a, b = world["a"], world["b"]
    mine = claim_for(a["units"][1], phone="13712345678", id_number="430102199001011234")
    theirs = claim_for(b["units"][1])
    client.force_login(world["staff"])
    response = client.get(reverse("homes:verify-queue"))
    body = response.content.decode()
    assert f'id="claim-{mine.pk}"' in body
    assert f'id="claim-{theirs.pk}"' not in body
    assert "13712345678" in body and "430102199001011234" in body

    # Filtered by another status, the claim is not listed.
    verified = client.get(reverse("homes:verify-queue"), {"status": "verified"}).content.decode()
    assert f'id="claim-{mine.pk}"' not in verified


@pytest.mark.django_db
def test_queue_query_count_is_the_same_for_1_and_20_claims(client, world, make_staff):
    a = world["a"]
    client.force_login(world["staff"])
    claim_for(a["units"][1])
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("homes:verify-queue")).status_code == 200
    for _ in range(19):
        claim_for(factories.UnitFactory(building=a["building"]))
    with CaptureQueriesContext(connection) as twenty:
        response = client.get(reverse("homes:verify-queue"))
    assert len(response.context["cards"]) == 20
    assert len(twenty) == len(one), [q["sql"] for q in twenty.captured_queries]


@pytest.mark.django_db
def test_verify_and_reject_buttons_answer_htmx_with_the_card(client, world):
    a = world["a"]
    first, second = claim_for(a["units"][1]), claim_for(factories.UnitFactory(building=a["building"]))
    client.force_login(world["staff"])

    response = client.post(reverse("homes:verify", args=[first.pk]), **HTMX)
    assert response.status_code == 200
    assert f'id="claim-{first.pk}"' in response.content.decode()
    assert "<html" not in response.content.decode()
    first.refresh_from_db()
    assert first.status == Ownership.Status.VERIFIED

    empty = client.post(reverse("homes:reject", args=[second.pk]), {f"o{second.pk}-reason": ""}, **HTMX)
    assert empty.status_code == 200
    assert "invalid-feedback" in empty.content.decode()
    second.refresh_from_db()
    assert second.status == Ownership.Status.CLAIMED

    done = client.post(reverse("homes:reject", args=[second.pk]), {f"o{second.pk}-reason": "面积不符"})
    assert done.status_code == 302
    second.refresh_from_db()
    assert (second.status, second.rejection_reason) == (Ownership.Status.REJECTED, "面积不符")


@pytest.mark.django_db
def test_out_of_scope_claims_and_units_answer_404(client, world, role_users):
    claim = claim_for(world["a"]["units"][1])
    for user in (world["staff_b"], role_users[Role.GRID_WORKER], role_users[Role.PARTY_SECRETARY], claim.user):
        client.force_login(user)
        assert client.post(reverse("homes:verify", args=[claim.pk])).status_code == 404
        assert client.post(reverse("homes:reject", args=[claim.pk]), {f"o{claim.pk}-reason": "x"}).status_code == 404
        assert client.get(reverse("homes:unit", args=[claim.unit_id])).status_code == 404
        assert f'id="claim-{claim.pk}"' not in client.get(reverse("homes:verify-queue")).content.decode()
    claim.refresh_from_db()
    assert claim.status == Ownership.Status.CLAIMED


@pytest.mark.django_db
def test_staff_set_the_designated_voter_of_co_owners(client, world):
    a = world["a"]
    unit = a["units"][0]
    spouse = claim_for(unit)
    services.ownership_verify(ownership=spouse, actor=world["staff"])
    client.force_login(world["staff"])
    page = client.get(reverse("homes:unit", args=[unit.pk]))
    assert page.context["show_voter_form"]
    assert client.post(reverse("homes:set-voter", args=[unit.pk]), {"ownership": spouse.pk}).status_code == 302
    assert list(Ownership.objects.filter(unit=unit, is_voter=True).values_list("pk", flat=True)) == [spouse.pk]
    # An ownership of another unit is not a choice.
    other = claim_for(a["units"][1])
    bad = client.post(reverse("homes:set-voter", args=[unit.pk]), {"ownership": other.pk})
    assert bad.status_code == 200 and "ownership" in bad.context["voter_form"].errors


@pytest.mark.django_db
def test_staff_register_and_end_a_tenant_by_mobile_number(client, world):
    a = world["a"]
    unit = a["units"][1]
    tenant = factories.UserFactory(phone="13600001111")
    client.force_login(world["staff"])
    missing = client.post(reverse("homes:register-tenant", args=[unit.pk]), {"phone": "13600009999", "start": "2025-01-01"})
    assert "phone" in missing.context["tenancy_form"].errors
    ok = client.post(reverse("homes:register-tenant", args=[unit.pk]), {"phone": "13600001111", "start": "2025-01-01"})
    assert ok.status_code == 302
    tenancy = Tenancy.objects.get(user=tenant, unit=unit)
    assert tenancy.verified_by == world["staff"]
    again = client.post(reverse("homes:register-tenant", args=[unit.pk]), {"phone": "13600001111", "start": "2025-01-01"})
    assert "phone" in again.context["tenancy_form"].errors
    assert "13600001111" in client.get(reverse("homes:unit", args=[unit.pk])).content.decode()
    assert client.post(reverse("homes:end-tenancy", args=[tenancy.pk])).status_code == 302
    tenancy.refresh_from_db()
    assert tenancy.end is not None
    client.force_login(world["staff_b"])
    assert client.post(reverse("homes:register-tenant", args=[unit.pk]), {"phone": "13600001111"}).status_code == 404


@pytest.mark.django_db
def test_other_viewers_see_owner_phones_masked(client, world, role_users):
    """Only verifiers read full numbers; a grid worker sees the same owner masked on the building page."""
    owner = world["a"]["owner"]
    client.force_login(role_users[Role.GRID_WORKER])
    body = client.get(reverse("building-detail", args=[world["a"]["building"].pk])).content.decode()
    assert mask_phone(owner.phone) in body and owner.phone not in body
