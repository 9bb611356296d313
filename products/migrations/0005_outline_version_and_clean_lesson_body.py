# Issue 20: lesson bodies sanitized once when saved, and a product version that changes with
# every change to the product's outline, kept by database triggers so that no write path (admin,
# course builder, queryset.update(), bulk_create(), raw SQL) can leave a cached outline stale.

import products.models
from django.db import migrations, models

# Every insert, update or delete of a module, lesson or lesson file bumps its product's version
# (both products when a row moves to another course); any update of the product row itself
# moves the version on as well, even a save from an instance that read an older version.
POSTGRESQL = """
CREATE OR REPLACE FUNCTION products_bump_outline(product_ids bigint[]) RETURNS void AS $$
    UPDATE products_product SET outline_version = outline_version + 1
    WHERE id = ANY(product_ids);
$$ LANGUAGE sql;

CREATE OR REPLACE FUNCTION products_product_outline_version() RETURNS trigger AS $$
BEGIN
    IF NEW.outline_version <= OLD.outline_version THEN
        NEW.outline_version := OLD.outline_version + 1;
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION products_module_outline() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM products_bump_outline(ARRAY[NEW.product_id]);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM products_bump_outline(ARRAY[OLD.product_id]);
    ELSE
        PERFORM products_bump_outline(ARRAY[OLD.product_id, NEW.product_id]);
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION products_lesson_outline() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM products_bump_outline(ARRAY(
            SELECT product_id FROM products_module WHERE id = NEW.module_id));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM products_bump_outline(ARRAY(
            SELECT product_id FROM products_module WHERE id = OLD.module_id));
    ELSE
        PERFORM products_bump_outline(ARRAY(
            SELECT product_id FROM products_module WHERE id IN (OLD.module_id, NEW.module_id)));
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION products_lessonattachment_outline() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM products_bump_outline(ARRAY(
            SELECT m.product_id FROM products_lesson l JOIN products_module m ON m.id = l.module_id
            WHERE l.id = NEW.lesson_id));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM products_bump_outline(ARRAY(
            SELECT m.product_id FROM products_lesson l JOIN products_module m ON m.id = l.module_id
            WHERE l.id = OLD.lesson_id));
    ELSE
        PERFORM products_bump_outline(ARRAY(
            SELECT m.product_id FROM products_lesson l JOIN products_module m ON m.id = l.module_id
            WHERE l.id IN (OLD.lesson_id, NEW.lesson_id)));
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER products_product_outline BEFORE UPDATE ON products_product
    FOR EACH ROW EXECUTE FUNCTION products_product_outline_version();
CREATE TRIGGER products_module_outline AFTER INSERT OR UPDATE OR DELETE ON products_module
    FOR EACH ROW EXECUTE FUNCTION products_module_outline();
CREATE TRIGGER products_lesson_outline AFTER INSERT OR UPDATE OR DELETE ON products_lesson
    FOR EACH ROW EXECUTE FUNCTION products_lesson_outline();
CREATE TRIGGER products_lessonattachment_outline
    AFTER INSERT OR UPDATE OR DELETE ON products_lessonattachment
    FOR EACH ROW EXECUTE FUNCTION products_lessonattachment_outline();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS products_product_outline ON products_product;
DROP TRIGGER IF EXISTS products_module_outline ON products_module;
DROP TRIGGER IF EXISTS products_lesson_outline ON products_lesson;
DROP TRIGGER IF EXISTS products_lessonattachment_outline ON products_lessonattachment;
DROP FUNCTION IF EXISTS products_product_outline_version();
DROP FUNCTION IF EXISTS products_module_outline();
DROP FUNCTION IF EXISTS products_lesson_outline();
DROP FUNCTION IF EXISTS products_lessonattachment_outline();
DROP FUNCTION IF EXISTS products_bump_outline(bigint[]);
"""

_BUMP = "UPDATE products_product SET outline_version = outline_version + 1 WHERE id IN ({});"
_OF_MODULES = "SELECT product_id FROM products_module WHERE id IN ({})"
_OF_LESSONS = (
    "SELECT m.product_id FROM products_lesson l JOIN products_module m ON m.id = l.module_id "
    "WHERE l.id IN ({})"
)


def _sqlite_triggers() -> list[str]:
    # SQLite cannot change NEW in a BEFORE trigger: the product's own trigger updates the row
    # again (recursive triggers are off, and the WHEN clause is false the second time anyway).
    statements = [
        "CREATE TRIGGER products_product_outline AFTER UPDATE ON products_product "
        "WHEN NEW.outline_version <= OLD.outline_version BEGIN "
        "UPDATE products_product SET outline_version = OLD.outline_version + 1 "
        "WHERE id = NEW.id; END;"
    ]
    tables = [
        ("products_module", "product_id", lambda ids: ids),
        ("products_lesson", "module_id", lambda ids: _OF_MODULES.format(ids)),
        ("products_lessonattachment", "lesson_id", lambda ids: _OF_LESSONS.format(ids)),
    ]
    for table, column, products in tables:
        for operation, ids in [
            ("INSERT", f"NEW.{column}"),
            ("UPDATE", f"OLD.{column}, NEW.{column}"),
            ("DELETE", f"OLD.{column}"),
        ]:
            statements.append(
                f"CREATE TRIGGER {table}_outline_{operation.lower()} AFTER {operation} ON {table} "
                f"BEGIN {_BUMP.format(products(ids))} END;"
            )
    return statements


def _sqlite_trigger_names() -> list[str]:
    names = ["products_product_outline"]
    for table in ("products_module", "products_lesson", "products_lessonattachment"):
        names += [f"{table}_outline_{operation}" for operation in ("insert", "update", "delete")]
    return names


def install_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)
    elif vendor == "sqlite":
        for statement in _sqlite_triggers():
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"outline version triggers for {vendor}")


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE)
    else:
        for name in _sqlite_trigger_names():
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};")


def sanitize_bodies(apps, schema_editor):
    from products.richtext import sanitize_html

    Lesson = apps.get_model("products", "Lesson")
    batch = []
    for lesson in Lesson.objects.only("pk", "body").iterator(chunk_size=500):
        lesson.body_html = sanitize_html(lesson.body)
        batch.append(lesson)
        if len(batch) == 500:
            Lesson.objects.bulk_update(batch, ["body_html"])
            batch = []
    Lesson.objects.bulk_update(batch, ["body_html"])


class Migration(migrations.Migration):

    dependencies = [
        ('products', '0004_withdrawal_waiver'),
    ]

    operations = [
        migrations.AddField(
            model_name='lesson',
            name='body_html',
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='product',
            name='outline_version',
            field=models.BigIntegerField(default=products.models.new_outline_version, editable=False),
        ),
        migrations.RunPython(sanitize_bodies, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
