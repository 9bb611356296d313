"""Copy each refund's and chargeback's order, product and provider from its payment, so the
dashboard groups them without joining every payment. Nullable here; 0013 makes them required
(in its own transaction, as 0010/0011 do for the payments' copies)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_from_payments(apps, schema_editor):
    Payment = apps.get_model("billing", "Payment")
    PaymentReversal = apps.get_model("billing", "PaymentReversal")
    payment = Payment.objects.filter(pk=OuterRef("payment_id"))
    PaymentReversal.objects.update(
        order_id=Subquery(payment.values("order_id")[:1]),
        product_id=Subquery(payment.values("product_id")[:1]),
        provider=Subquery(payment.values("provider")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0011_payment_order_fields_required"),
        ("products", "0003_lesson_attachments_and_images"),
    ]

    operations = [
        migrations.AddField(
            model_name="paymentreversal",
            name="order",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="billing.order",
            ),
        ),
        migrations.AddField(
            model_name="paymentreversal",
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
        migrations.AddField(
            model_name="paymentreversal",
            name="provider",
            field=models.CharField(default="", max_length=20, verbose_name="provider"),
            preserve_default=False,
        ),
        migrations.RunPython(copy_from_payments, migrations.RunPython.noop, elidable=False),
    ]
