"""Copy each payment's order's buyer, product and test mode onto the payment, so the dashboard
aggregates payments without joining the orders. Nullable here; 0010 makes them required (in
its own transaction: PostgreSQL will not alter a table with the backfill's pending FK checks)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_from_orders(apps, schema_editor):
    Order = apps.get_model("billing", "Order")
    Payment = apps.get_model("billing", "Payment")
    order = Order.objects.filter(pk=OuterRef("order_id"))
    Payment.objects.update(
        member_id=Subquery(order.values("member_id")[:1]),
        product_id=Subquery(order.values("product_id")[:1]),
        is_test=Subquery(order.values("is_test")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0009_plan_groups_and_subscription_pause"),
        ("products", "0003_lesson_attachments_and_images"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="is_test",
            field=models.BooleanField(default=False, verbose_name="test mode"),
        ),
        migrations.AddField(
            model_name="payment",
            name="member",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="member",
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="product",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="products.product",
                verbose_name="product",
            ),
        ),
        migrations.RunPython(copy_from_orders, migrations.RunPython.noop, elidable=False),
    ]
