"""`manage.py rebuild_rollups`: recompute the dashboards' rollup tables from every case (governance/dashboards/rollup.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from governance.dashboards import rollup


class Command(BaseCommand):
    help = "Rebuild the dashboards' daily and monthly rollups from the cases, from scratch."

    def handle(self, *args, verbosity: int = 1, **options):
        counts = rollup.rebuild(progress=self.stdout.write if verbosity > 1 else None)
        seconds = counts.pop("seconds")
        self.stdout.write(self.style.SUCCESS(_("Rollups rebuilt in %(seconds).1f s.") % {"seconds": seconds}))
        self.stdout.write(", ".join(f"{key} {value:,}" for key, value in counts.items()))
