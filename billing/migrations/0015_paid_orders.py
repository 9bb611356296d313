# Issue 15: one row per paying order (first and last payment above zero), kept by database
# triggers on billing_payment so that no write path (save, bulk_create, update(), raw SQL) can
# leave the dashboard's counts of orders, buyers and new customers behind.

from django.db import migrations, models

COLUMNS = "order_id, member_id, product_id, provider, currency, is_test, first_paid_at, last_paid_at"

# PostgreSQL: statement-level triggers with transition tables (one statement per bulk insert).
# Both paths first take a transaction-level advisory lock per order (sorted, so two statements
# never wait on each other in a circle), held until commit: a second writer of the same order
# waits for the first to commit and then, in a statement started after it, sees its payments.
# New payments widen an order's row against the row as committed (LEAST/GREATEST, the same
# grouping as MIN/BOOL_OR); an update or delete recomputes the orders it touched.
POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION billing_paidorder_lock(order_ids bigint[]) RETURNS void AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1515, mod(id, 2147483647)::int)
    FROM (SELECT DISTINCT unnest(order_ids) AS id ORDER BY 1) AS ids;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billing_paidorder_insert() RETURNS trigger AS $$
BEGIN
    PERFORM billing_paidorder_lock(ARRAY(SELECT order_id FROM new_payments WHERE amount > 0));
    INSERT INTO billing_paidorder ({COLUMNS})
    SELECT order_id, MIN(member_id), MIN(product_id), MIN(provider), MIN(currency),
           BOOL_OR(is_test), MIN(paid_at), MAX(paid_at)
    FROM new_payments WHERE amount > 0 GROUP BY order_id
    ON CONFLICT (order_id) DO UPDATE SET
        member_id = LEAST(billing_paidorder.member_id, EXCLUDED.member_id),
        product_id = LEAST(billing_paidorder.product_id, EXCLUDED.product_id),
        provider = LEAST(billing_paidorder.provider, EXCLUDED.provider),
        currency = LEAST(billing_paidorder.currency, EXCLUDED.currency),
        is_test = billing_paidorder.is_test OR EXCLUDED.is_test,
        first_paid_at = LEAST(billing_paidorder.first_paid_at, EXCLUDED.first_paid_at),
        last_paid_at = GREATEST(billing_paidorder.last_paid_at, EXCLUDED.last_paid_at);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billing_paidorder_refresh(order_ids bigint[]) RETURNS void AS $$
BEGIN
    IF order_ids IS NULL OR cardinality(order_ids) = 0 THEN
        RETURN;
    END IF;
    PERFORM billing_paidorder_lock(order_ids);
    DELETE FROM billing_paidorder AS po WHERE po.order_id = ANY(order_ids) AND NOT EXISTS (
        SELECT 1 FROM billing_payment AS p WHERE p.order_id = po.order_id AND p.amount > 0);
    INSERT INTO billing_paidorder ({COLUMNS})
    SELECT order_id, MIN(member_id), MIN(product_id), MIN(provider), MIN(currency),
           BOOL_OR(is_test), MIN(paid_at), MAX(paid_at)
    FROM billing_payment WHERE order_id = ANY(order_ids) AND amount > 0 GROUP BY order_id
    ON CONFLICT (order_id) DO UPDATE SET
        member_id = EXCLUDED.member_id, product_id = EXCLUDED.product_id,
        provider = EXCLUDED.provider, currency = EXCLUDED.currency, is_test = EXCLUDED.is_test,
        first_paid_at = EXCLUDED.first_paid_at, last_paid_at = EXCLUDED.last_paid_at;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billing_paidorder_update() RETURNS trigger AS $$
BEGIN
    -- only rows whose copied columns, amount or date changed (refunds and disputes don't)
    PERFORM billing_paidorder_refresh(ARRAY(
        SELECT o.order_id FROM old_payments AS o JOIN new_payments AS n ON n.id = o.id
        WHERE (o.order_id, o.member_id, o.product_id, o.provider, o.currency, o.is_test,
               o.amount > 0, o.paid_at)
           IS DISTINCT FROM (n.order_id, n.member_id, n.product_id, n.provider, n.currency,
               n.is_test, n.amount > 0, n.paid_at)
        UNION
        SELECT n.order_id FROM old_payments AS o JOIN new_payments AS n ON n.id = o.id
        WHERE n.order_id <> o.order_id));
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billing_paidorder_delete() RETURNS trigger AS $$
BEGIN
    PERFORM billing_paidorder_refresh(ARRAY(SELECT DISTINCT order_id FROM old_payments));
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER billing_paidorder_insert AFTER INSERT ON billing_payment
    REFERENCING NEW TABLE AS new_payments
    FOR EACH STATEMENT EXECUTE FUNCTION billing_paidorder_insert();
CREATE TRIGGER billing_paidorder_update AFTER UPDATE ON billing_payment
    REFERENCING OLD TABLE AS old_payments NEW TABLE AS new_payments
    FOR EACH STATEMENT EXECUTE FUNCTION billing_paidorder_update();
CREATE TRIGGER billing_paidorder_delete AFTER DELETE ON billing_payment
    REFERENCING OLD TABLE AS old_payments
    FOR EACH STATEMENT EXECUTE FUNCTION billing_paidorder_delete();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS billing_paidorder_insert ON billing_payment;
DROP TRIGGER IF EXISTS billing_paidorder_update ON billing_payment;
DROP TRIGGER IF EXISTS billing_paidorder_delete ON billing_payment;
DROP FUNCTION IF EXISTS billing_paidorder_insert();
DROP FUNCTION IF EXISTS billing_paidorder_update();
DROP FUNCTION IF EXISTS billing_paidorder_delete();
DROP FUNCTION IF EXISTS billing_paidorder_refresh(bigint[]);
DROP FUNCTION IF EXISTS billing_paidorder_lock(bigint[]);
"""

# SQLite (one writer at a time): row-level triggers. Datetimes are ISO text in UTC, so MIN and
# MAX compare them correctly.
_RECOMPUTE = (
    "DELETE FROM billing_paidorder WHERE order_id IN ({ids}); "
    f"INSERT INTO billing_paidorder ({COLUMNS}) "
    "SELECT order_id, MIN(member_id), MIN(product_id), MIN(provider), MIN(currency), "
    "MAX(is_test), MIN(paid_at), MAX(paid_at) FROM billing_payment "
    "WHERE order_id IN ({ids}) AND amount > 0 GROUP BY order_id;"
)
SQLITE = [
    "CREATE TRIGGER billing_paidorder_insert AFTER INSERT ON billing_payment "
    "WHEN NEW.amount > 0 BEGIN "
    f"INSERT INTO billing_paidorder ({COLUMNS}) VALUES (NEW.order_id, NEW.member_id, "
    "NEW.product_id, NEW.provider, NEW.currency, NEW.is_test, NEW.paid_at, NEW.paid_at) "
    "ON CONFLICT (order_id) DO UPDATE SET "
    "member_id = MIN(member_id, excluded.member_id), "
    "product_id = MIN(product_id, excluded.product_id), "
    "provider = MIN(provider, excluded.provider), "
    "currency = MIN(currency, excluded.currency), "
    "is_test = MAX(is_test, excluded.is_test), "
    "first_paid_at = MIN(first_paid_at, excluded.first_paid_at), "
    "last_paid_at = MAX(last_paid_at, excluded.last_paid_at); END;",
    "CREATE TRIGGER billing_paidorder_update AFTER UPDATE ON billing_payment "
    "WHEN OLD.order_id IS NOT NEW.order_id OR OLD.member_id IS NOT NEW.member_id "
    "OR OLD.product_id IS NOT NEW.product_id OR OLD.provider IS NOT NEW.provider "
    "OR OLD.currency IS NOT NEW.currency OR OLD.is_test IS NOT NEW.is_test "
    "OR (OLD.amount > 0) IS NOT (NEW.amount > 0) OR OLD.paid_at IS NOT NEW.paid_at BEGIN "
    + _RECOMPUTE.format(ids="OLD.order_id, NEW.order_id")
    + " END;",
    "CREATE TRIGGER billing_paidorder_delete AFTER DELETE ON billing_payment BEGIN "
    + _RECOMPUTE.format(ids="OLD.order_id")
    + " END;",
]



def backfill(vendor: str) -> str:
    """The paying orders of the payments already there, grouped as the triggers group them."""
    is_test = "BOOL_OR(is_test)" if vendor == "postgresql" else "MAX(is_test)"
    return (
        f"INSERT INTO billing_paidorder ({COLUMNS}) "
        "SELECT order_id, MIN(member_id), MIN(product_id), MIN(provider), MIN(currency), "
        f"{is_test}, MIN(paid_at), MAX(paid_at) FROM billing_payment WHERE amount > 0 "
        "GROUP BY order_id"
    )


def install_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"paid order triggers for {vendor}")
    schema_editor.execute(backfill(vendor))


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE)
    else:
        for name in ("insert", "update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS billing_paidorder_{name};")


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0014_withdrawal_waiver"),
    ]

    operations = [
        migrations.CreateModel(
            name="PaidOrder",
            fields=[
                ("order_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("member_id", models.BigIntegerField()),
                ("product_id", models.BigIntegerField()),
                ("provider", models.CharField(max_length=20)),
                ("currency", models.CharField(max_length=3)),
                ("is_test", models.BooleanField()),
                ("first_paid_at", models.DateTimeField()),
                ("last_paid_at", models.DateTimeField()),
            ],
            options={
                "indexes": [
                    models.Index(fields=["last_paid_at"], name="paidorder_last_paid_idx")
                ],
            },
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
