"""Who may do what to a case. Every page, API view and service asks these."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from governance.models import Building, Compound, Role, RoleAssignment, ServiceContract, Street, Unit
from governance.scoping import granted_ids, resident_unit_ids, resident_unit_q

from .models import Complaint, Dispatch, HandlerKind


def can_view_complaint(user, complaint: Complaint) -> bool:
    return Complaint.objects.visible_to(user).filter(pk=complaint.pk).exists()


def is_case_manager(user, complaint: Complaint) -> bool:
    """Community, street and district staff over the case's compound triage, whistle and verify."""
    return Compound.objects.managed_by(user).filter(pk=complaint.compound_id).exists()


def can_approve_extension(user, complaint: Complaint) -> bool:
    """Extensions are approved by the street office (or the district) of the case's compound."""
    if user.is_superuser:
        return True
    street_id = complaint.compound.community.street_id
    return Street.objects.managed_by(user).filter(pk=street_id).exists()


def handled_dispatches(user):
    """Return the dispatches the user works on: their department's, their company's, their branch's."""
    if not user.is_authenticated or not user.is_active:
        return Dispatch.objects.none()
    if user.is_superuser:
        return Dispatch.objects.all()
    secretary_compounds = RoleAssignment.objects.active().filter(user_id=user.pk, role=Role.PARTY_SECRETARY).values("compound_id")
    return Dispatch.objects.filter(
        Q(handler_kind=HandlerKind.DEPARTMENT, department_id__in=granted_ids(user, "department"))
        | Q(handler_kind=HandlerKind.PROPERTY, property_company_id__in=granted_ids(user, "propertycompany"))
        | Q(handler_kind=HandlerKind.PARTY_BRANCH, complaint__compound_id__in=secretary_compounds)
    )


def can_handle_dispatch(user, dispatch: Dispatch) -> bool:
    return handled_dispatches(user).filter(pk=dispatch.pk).exists()


def _filing_roles(user, compound: Compound) -> QuerySet:
    """The user's active grid-worker roles over the compound and property-staff roles of a company serving it.

    IN terms over the compound's few buildings and contracts, so one small query answers for both.
    """
    return RoleAssignment.objects.active().filter(user_id=user.pk).filter(
        Q(role=Role.GRID_WORKER, grid_id__in=Building.objects.filter(compound_id=compound.pk).values("grid_id"))
        | Q(role=Role.PROPERTY_STAFF,
            property_company_id__in=ServiceContract.objects.active().filter(compound_id=compound.pk).values("company_id"))
    )


def filing_roles(user, compound: Compound) -> frozenset[str]:
    """Return which of can_file_for_others (Role.GRID_WORKER) and can_report_as_property (Role.PROPERTY_STAFF)
    hold for the user in the compound, in one query."""
    return frozenset(_filing_roles(user, compound).order_by().values_list("role", flat=True).distinct())


def can_file_for_others(user, compound: Compound) -> bool:
    """Grid workers file from patrol or on a resident's behalf in the compounds of their grid."""
    return _filing_roles(user, compound).filter(role=Role.GRID_WORKER).exists()


def can_report_as_property(user, compound: Compound) -> bool:
    return _filing_roles(user, compound).filter(role=Role.PROPERTY_STAFF).exists()


def compounds_user_may_report_in(user):
    """Return the compounds where the user may file a case: their homes and their staff scope."""
    return Compound.objects.visible_to(user)


def may_report_in(user, compound: Compound) -> bool:
    """Whether `compound` is one of compounds_user_may_report_in(user), asked cheaply: a home answers with
    one small query, without building the staff scope; only otherwise is the staff scope asked."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if Unit.objects.filter(id__in=resident_unit_ids(user), building__compound_id=compound.pk).exists():
        return True
    return compounds_user_may_report_in(user).filter(pk=compound.pk).exists()


def can_join_case(user, complaint: Complaint) -> bool:
    """Only households of the compound (verified owners or tenants) join a case with “我也遇到”."""
    return lives_in(user, complaint.compound)


def lives_in(user, compound: Compound) -> bool:
    """Return whether the user owns or rents a home in the compound (verified, current)."""
    return Unit.objects.filter(resident_unit_q(user), building__compound_id=compound.pk).exists()
