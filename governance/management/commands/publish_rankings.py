"""Publish (back-fill) the red and black lists of a month: `manage.py publish_rankings --month 2025-03`."""

from django.core.management.base import BaseCommand, CommandError

from governance.dashboards import rankings
from governance.models import District


class Command(BaseCommand):
    help = "Publish a month's red and black lists of departments and property companies (once per district and kind)."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--district", type=int, action="append", help="district id (repeatable; default: every district)")

    def handle(self, *args, month, district, **options):
        first = rankings.parse_month(month)
        if first is None:
            raise CommandError("--month must look like 2025-03")
        districts = District.objects.order_by("pk")
        if district:
            districts = districts.filter(pk__in=district)
        for place in districts:
            for kind in rankings.KINDS:
                ranking, published = rankings.publish_month(district=place, month=first, kind=kind)
                lists = ranking.rows
                state = "published" if published else "already published"
                self.stdout.write(
                    f"{place.name} {first:%Y-%m} {kind}: {state} "
                    f"(red {len(lists.get('red', []))}, black {len(lists.get('black', []))}, "
                    f"left out {len(lists.get('left_out', []))})"
                )
