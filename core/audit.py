from typing import Any

from django.db import models

from core.models import AuditEvent


def audit(*, actor, action: str, target: models.Model, **data: Any) -> AuditEvent:
    """Record one audit row; call inside the transaction of the change it describes."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        data=data,
    )
