from django.db import migrations, models

# The lapse sweep's reason before this field existed: those grants ended for want of payment.
LAPSE_REASON = "paid-through date plus grace passed without a payment"


def mark_lapsed_grants(apps, schema_editor):
    AccessGrant = apps.get_model("members", "AccessGrant")
    AccessGrant.objects.filter(state="expired", end_reason=LAPSE_REASON).update(ended_unpaid=True)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0003_grant_events_in_write_order"),
    ]

    operations = [
        migrations.AddField(
            model_name="accessgrant",
            name="ended_unpaid",
            field=models.BooleanField(
                default=False,
                help_text="Expired after a missed payment (the member can fix billing), not cancelled.",
                verbose_name="ended for want of payment",
            ),
        ),
        migrations.RunPython(mark_lapsed_grants, migrations.RunPython.noop),
    ]
