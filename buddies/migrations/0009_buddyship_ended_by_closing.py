from django.db import migrations, models
from django.db.models import Q


def mark_closed_accounts(apps, schema_editor):
    """Buddyships that ended as the buddy closed their account, as told before the field
    existed: left by an account now inactive, or by one purged since (its name and
    address replaced)."""
    Buddyship = apps.get_model("buddies", "Buddyship")
    Buddyship.objects.filter(status="left").filter(
        Q(user__is_active=False) | Q(user__isnull=True, name="A former buddy", email="")
    ).update(ended_by_closing=True)


class Migration(migrations.Migration):
    dependencies = [
        ("buddies", "0008_notification_kind_declined"),
        ("accounts", "0002_one_line_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="buddyship",
            name="ended_by_closing",
            field=models.BooleanField(
                db_default=False,
                default=False,
                verbose_name="ended as the buddy closed their account",
            ),
        ),
        migrations.RunPython(mark_closed_accounts, migrations.RunPython.noop),
    ]
