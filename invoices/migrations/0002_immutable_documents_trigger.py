"""On PostgreSQL, the database itself refuses UPDATE and DELETE of issued documents and lines.

The model refuses changes through the ORM; this trigger also stops raw SQL and other clients.
(TRUNCATE, used by test teardown, is not affected.) Keep this migration if migrations are
regenerated.
"""

from django.db import migrations

TABLES = ("invoices_document", "invoices_documentline")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION invoices_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'issued invoices and credit notes are immutable (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)  # the SQL contains % signs
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION invoices_refuse_change()"
        )


def drop_triggers(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS invoices_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("invoices", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
