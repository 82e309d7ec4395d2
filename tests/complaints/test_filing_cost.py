"""Filing a case through the form: what it costs, and that the cheap paths keep every rule.

A resident filing for their own home validates the compound and the unit from the homes the view
has loaded (no scope query); anything else is checked against the scoped querysets as before.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import permissions, services
from complaints.models import CaseCounter, Complaint, Source
from core.errors import ApplicationError
from governance.models import Role, ServiceContract
from residents.models import Tenancy
from tests import factories

pytestmark = pytest.mark.django_db


def form_data(w, **overrides):
    return {
        "compound": w["compound"].pk, "category": "facilities", "place_kind": "unit", "unit": w["units"][0].pk,
        "urgency": "general", "title": "电梯坏了", "description": "2号电梯停了三天，老人上不去楼", "hide_name": "on",
        **overrides,
    }


def test_a_resident_filing_for_their_home_costs_a_fixed_number_of_queries(client, case_world, django_assert_num_queries):
    w = case_world
    client.force_login(w["resident"])
    assert client.post(reverse("complaints:new"), form_data(w)).status_code == 302  # warm the caches
    # session, user, homes; in the transaction: scope check (a home), community staff, case number, case,
    # follower, rollup queue, timeline, audit; the session saved. Savepoints: 2 + 2. (Before: 23.)
    with django_assert_num_queries(16):
        response = client.post(reverse("complaints:new"), form_data(w, title="电梯又坏了"))
    assert response.status_code == 302
    assert Complaint.objects.filter(reporter=w["resident"]).count() == 2


def test_a_resident_cannot_file_for_a_unit_that_is_not_their_home(client, case_world):
    w = case_world
    client.force_login(w["resident"])
    response = client.post(reverse("complaints:new"), form_data(w, unit=w["units"][1].pk))
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors
    assert Complaint.objects.count() == 0


def test_staff_file_for_any_unit_of_a_compound_in_their_scope(client, case_world):
    w = case_world
    client.force_login(w["community_staff"])
    page = client.get(reverse("complaints:new"), {"compound": w["compound"].pk})
    assert set(page.context["form"].fields["unit"].queryset) == set(w["units"])
    response = client.post(reverse("complaints:new"), form_data(w, unit=w["units"][1].pk))
    assert response.status_code == 302
    case = Complaint.objects.get()
    assert (case.unit, case.reporter) == (w["units"][1], w["community_staff"])


def test_a_compound_posted_outside_the_scope_is_not_found_even_with_a_home_unit(client, case_world, two_communities):
    w = case_world
    client.force_login(w["resident"])
    other = two_communities["b"]["compound"]
    assert client.post(reverse("complaints:new"), form_data(w, compound=other.pk)).status_code == 404
    assert client.post(reverse("complaints:new"), form_data(w, compound="x1")).status_code == 404
    assert Complaint.objects.count() == 0


def test_a_post_without_a_source_is_filed_for_oneself_whatever_the_roles(client, case_world):
    w = case_world
    client.force_login(w["grid_worker"])
    response = client.post(reverse("complaints:new"), form_data(w, place_kind="building", building=w["building"].pk))
    assert response.status_code == 302
    case = Complaint.objects.get()
    assert (case.source, case.reporter) == (Source.RESIDENT, w["grid_worker"])
    invalid = client.post(reverse("complaints:new"), {**form_data(w), "source": "grid_patrol", "title": ""})
    assert invalid.status_code == 400 and "巡查发现" in invalid.content.decode()  # the choice stays on the page


def test_the_form_offers_each_role_its_sources(client, case_world):
    w = case_world
    client.force_login(w["property_staff"])
    page = client.get(reverse("complaints:new"), {"compound": w["compound"].pk}).content.decode()
    assert "以物业公司名义" in page and "巡查发现" not in page
    client.force_login(w["grid_worker"])
    page = client.get(reverse("complaints:new"), {"compound": w["compound"].pk}).content.decode()
    assert "巡查发现" in page and "以物业公司名义" not in page


def test_filing_roles_follow_the_grid_and_the_active_contract(case_world, two_communities, make_staff):
    w = case_world
    other = two_communities["b"]["compound"]
    assert permissions.filing_roles(w["grid_worker"], w["compound"]) == {Role.GRID_WORKER}
    assert permissions.filing_roles(w["grid_worker"], other) == frozenset()
    assert permissions.filing_roles(w["property_staff"], w["compound"]) == {Role.PROPERTY_STAFF}
    assert permissions.filing_roles(w["resident"], w["compound"]) == frozenset()
    assert permissions.can_file_for_others(w["grid_worker"], w["compound"])
    assert not permissions.can_report_as_property(w["grid_worker"], w["compound"])
    assert permissions.can_report_as_property(w["property_staff"], w["compound"])
    ServiceContract.objects.filter(company=w["company"]).update(end=timezone.localdate() - timedelta(days=1))
    assert not permissions.can_report_as_property(w["property_staff"], w["compound"])
    assert permissions.filing_roles(w["property_staff"], w["compound"]) == frozenset()


def test_the_service_refuses_sources_the_actor_does_not_hold(case_world):
    w = case_world
    common = {"compound": w["compound"], "category": "facilities", "urgency": "general", "title": "路灯坏了",
              "description": "门口路灯不亮", "place_kind": "building", "building": w["building"]}
    for actor, source in ((w["resident"], Source.GRID_PATROL), (w["resident"], Source.PROPERTY),
                          (w["grid_worker"], Source.PROPERTY)):
        with pytest.raises(ApplicationError) as refused:
            services.complaint_file(actor=actor, source=source, **common)
        assert refused.value.code == "forbidden"
    with pytest.raises(ApplicationError):
        services.complaint_file(actor=w["neighbour"], **common)  # a home in another compound only
    assert Complaint.objects.count() == 0


def test_may_report_in_agrees_with_the_scope(case_world, two_communities):
    w = case_world
    other = two_communities["b"]["compound"]
    for user in (w["resident"], w["neighbour"], w["community_staff"], w["street_staff"], w["grid_worker"],
                 w["property_staff"], w["outsider_staff"], w["department_staff"]):
        for compound in (w["compound"], other):
            expected = permissions.compounds_user_may_report_in(user).filter(pk=compound.pk).exists()
            assert permissions.may_report_in(user, compound) == expected, (user, compound)
    w["resident"].is_active = False
    assert not permissions.may_report_in(w["resident"], w["compound"])


def test_case_numbers_count_up_per_day(case_world):
    w = case_world
    common = {"compound": w["compound"], "category": "facilities", "urgency": "general", "title": "路灯坏了",
              "description": "门口路灯不亮", "place_kind": "unit", "unit": w["units"][0]}
    first = services.complaint_file(actor=w["resident"], **common)
    second = services.complaint_file(actor=w["resident"], **common)
    day = timezone.localdate(first.created_at)
    assert (first.number, second.number) == (f"TS{day:%Y%m%d}0001", f"TS{day:%Y%m%d}0002")
    assert CaseCounter.objects.get(day=day).last == 2


def test_a_home_ended_yesterday_no_longer_lets_a_resident_file(client, case_world):
    w = case_world
    client.force_login(w["resident"])
    yesterday = timezone.localdate() - timedelta(days=1)
    w["resident"].ownerships.update(start=yesterday - timedelta(days=365), end=yesterday)
    assert client.post(reverse("complaints:new"), form_data(w)).status_code == 404
    assert Complaint.objects.count() == 0


def test_a_tenant_files_for_the_home_they_rent(client, case_world):
    w = case_world
    tenant = factories.UserFactory()
    Tenancy.objects.create(user=tenant, unit=w["units"][1], verified_at=timezone.now())
    client.force_login(tenant)
    response = client.post(reverse("complaints:new"), form_data(w, unit=w["units"][1].pk))
    assert response.status_code == 302
    assert Complaint.objects.get().reporter == tenant
