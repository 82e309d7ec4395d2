"""The default survey templates (their data lives in complaints/surveys/defaults.py)."""

from django.db import migrations

from complaints.surveys.defaults import TEMPLATES, create


def remove(apps, schema_editor):
    apps.get_model("complaints", "SurveyTemplate").objects.filter(
        key__in=[t["key"] for t in TEMPLATES], surveys__isnull=True, campaigns__isnull=True
    ).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0003_surveys'),
    ]

    operations = [
        migrations.RunPython(create, remove),
    ]
