"""The refunds' and chargebacks' copies of their payment's order and product are required (0012
filled them in)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0012_reversal_payment_fields"),
        ("products", "0003_lesson_attachments_and_images"),
    ]

    operations = [
        migrations.AlterField(
            model_name="paymentreversal",
            name="order",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="billing.order",
            ),
        ),
        migrations.AlterField(
            model_name="paymentreversal",
            name="product",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="products.product",
                verbose_name="product",
            ),
        ),
    ]
