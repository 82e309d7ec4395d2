"""Who may run campaigns and edit survey templates."""

from __future__ import annotations

from governance.models import Community


def can_run_campaign(user, place) -> bool:
    """Staff who manage the place (a compound, community or property company) run its campaigns."""
    if place is None or not user.is_authenticated or not user.is_active:
        return False
    return type(place).objects.managed_by(user).filter(pk=place.pk).exists()


def can_edit_templates(user) -> bool:
    """Templates serve every compound: community, street and district staff edit them."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or Community.objects.managed_by(user).exists()
