"""`manage.py generate_cases`: years of settled historical cases (complaints/history.py) for the dashboards and
the benchmarks, e.g. `generate_cases --years 3 --total 2000000`."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.history import PER_COMPOUND_YEAR, generate_history
from complaints.models import Complaint
from governance.demo import DEFAULT_SEED


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(_("Give dates as YYYY-MM-DD, not %(text)s.") % {"text": text}) from error


class Command(BaseCommand):
    help = "File and settle historical cases (closed, rated, dispatched) in the seeded district's compounds."

    def add_arguments(self, parser):
        when = parser.add_mutually_exclusive_group()
        when.add_argument("--years", type=int, help="Years of cases up to --end (default 1).")
        when.add_argument("--start", type=_day, help="First day of cases (YYYY-MM-DD).")
        parser.add_argument("--end", type=_day,
                            help="Day after the last day of cases (default: the day of the earliest case, else today).")
        parser.add_argument("--total", type=int, help="Number of cases (default: a realistic number per compound).")
        parser.add_argument("--per-compound-year", type=float, default=PER_COMPOUND_YEAR,
                            help="Cases per compound per year before the model (default %(default).1f).")
        parser.add_argument("--model-start", type=_day, help="Day the 星物管 model starts (default: a year before --end).")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Random seed (default %(default)s).")
        parser.add_argument("--no-rollups", action="store_true", help="Do not rebuild the dashboards' rollups afterwards.")

    def handle(self, *args, years=None, start=None, end=None, total=None, per_compound_year=PER_COMPOUND_YEAR,
               model_start=None, seed=DEFAULT_SEED, no_rollups=False, verbosity=1, **options):
        if end is None:
            first = Complaint.objects.order_by("created_at").values_list("created_at", flat=True).first()
            end = timezone.localdate(first) if first else timezone.localdate()
        if start is None:
            start = end - timedelta(days=365 * (years or 1))
        if total is not None and total < 0:
            raise CommandError(_("The number of cases cannot be negative."))
        try:
            counts = generate_history(
                start=start, end=end, total=total, per_compound_year=per_compound_year, seed=seed,
                model_start=model_start, progress=self.stdout.write if verbosity > 1 else None,
                rebuild_rollups=not no_rollups,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(
            _("%(cases)s cases filed from %(start)s to %(end)s in %(seconds).1f s (%(rate)s cases a second).") % {
                "cases": f"{counts['cases']:,}", "start": start, "end": end - timedelta(days=1),
                "seconds": counts["seconds"], "rate": f"{counts['cases_per_second']:,}",
            }
        ))
        self.stdout.write(", ".join(f"{key} {value:,}" for key, value in counts.items()))
