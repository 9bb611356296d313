"""The payment's copies of its order's buyer and product are required (0009 filled them in),
a buyer's payments are indexed by product and date (did they pay for a course in the months), and
the index by date covers the columns the dashboard sums and counts (index-only scans)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0010_payment_order_fields"),
        ("products", "0003_lesson_attachments_and_images"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="payment",
            name="member",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="member",
            ),
        ),
        migrations.AlterField(
            model_name="payment",
            name="product",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="products.product",
                verbose_name="product",
            ),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                fields=["member", "product", "paid_at"], name="payment_buyer_product_paid_idx"
            ),
        ),
        migrations.RemoveIndex(model_name="payment", name="payment_paid_at_idx"),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                fields=["paid_at"],
                include=[
                    "is_test", "amount", "currency", "member", "product", "provider", "order",
                ],
                name="payment_paid_covering_idx",
            ),
        ),
    ]
