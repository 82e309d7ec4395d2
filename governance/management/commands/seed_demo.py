"""`manage.py seed_demo`: load the deterministic demo district (governance/demo.py) and a year of its cases
(complaints/demo.py), its committees and meetings (committees/demo.py) and follow-up surveys, a revisit
campaign and suggestions (complaints/survey_demo.py)."""

from __future__ import annotations

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from governance import demo
from governance.models import Compound


class Command(BaseCommand):
    help = "Load a deterministic demo district into an empty database (same seed, same data)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", choices=list(demo.SCALES), default="demo", metavar="{demo,district}",
            help="demo: 40 compounds, ~12,000 units (default); district: ~600 compounds, ~220,000 units.",
        )
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any compound exists.")
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="Random seed (default %(default)s).")
        parser.add_argument("--no-cases", action="store_true", help="Load places and people only: no cases, no meetings.")
        parser.add_argument(
            "--history-years", type=int, default=1, metavar="N",
            help="Years of settled cases before the demo year, when complaints ran ~1.8 times as high (default 1; 0: none).",
        )

    def handle(self, *args, scale: str, if_empty: bool, seed: int, no_cases: bool = False, history_years: int = 1,
               verbosity: int = 1, **options):
        if Compound.objects.exists():
            if if_empty:
                self.stdout.write(_("Demo data is already there; nothing to do."))
                return
            raise CommandError(_("The database already holds compounds: use an empty database or --if-empty."))
        started = time.perf_counter()
        progress = self.stdout.write if verbosity > 1 else None
        with transaction.atomic():  # places and cases together, so --if-empty never meets half a district
            counts = demo.seed(scale=scale, seed=seed, progress=progress)
            if not no_cases:
                # Imported here: complaints depends on governance, never the other way round at module level.
                from complaints import demo as case_demo

                counts.update(case_demo.seed_cases(seed=seed, progress=progress))
                from committees import demo as meeting_demo

                counts.update(meeting_demo.seed_meetings(seed=seed, progress=progress))
                from complaints import survey_demo

                counts.update(survey_demo.seed_surveys(seed=seed, progress=progress))
                if history_years > 0:
                    # The years before the demo year, all before the 星物管 model: 1/(1-0.45) times its cases a year,
                    # so the dashboards show complaints down 45% year on year.
                    from complaints import history

                    end = timezone.localdate() - timedelta(days=365)
                    made = history.generate_history(
                        start=end - timedelta(days=365 * history_years), end=end, model_start=end, seed=seed,
                        total=round(counts["cases"] / (1 - history.DROP)) * history_years, progress=progress,
                        rebuild_rollups=False,
                    )
                    counts["history_cases"] = made["cases"]
            # The cases were bulk-inserted past the services: compute the dashboards' rollups from scratch.
            from governance.dashboards import rollup

            counts["rollup_rows"] = rollup.rebuild(progress=progress)["daily_case_rows"]
        seconds = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(
            _("Demo data loaded (scale %(scale)s, seed %(seed)s) in %(seconds).1f s.")
            % {"scale": scale, "seed": seed, "seconds": seconds}
        ))
        self.stdout.write(", ".join(f"{key} {value:,}" for key, value in counts.items()))
        self.stdout.write("")
        self.stdout.write(_("Demo accounts (password %(password)s):") % {"password": demo.DEMO_PASSWORD})
        from committees.demo import DEMO_ACCOUNT

        for phone, role, sees in [*demo.DEMO_ACCOUNTS, DEMO_ACCOUNT]:
            self.stdout.write(f"  {phone}  {role} — {sees}")
