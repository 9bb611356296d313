"""Consents may be anonymised once, when the member's data is erased; nothing else changes.

On PostgreSQL the append-only trigger of ``leads_consent`` is replaced by one that still refuses
DELETE and every UPDATE except the single erasure step: the address becomes its SHA-256 (checked
here against the old address), the IP addresses and user agent are cleared, ``anonymised_at`` is
set, and the proof (member, product, sign-up, text, version, language, times) is unchanged.
Keep this migration if migrations are regenerated.
"""

from django.db import migrations, models

TABLE = "leads_consent"

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION leads_consent_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND OLD.anonymised_at IS NULL AND NEW.anonymised_at IS NOT NULL
        AND NEW.email = '' AND NEW.given_ip IS NULL AND NEW.confirmed_ip IS NULL
        AND NEW.user_agent = ''
        AND NEW.email_sha256 = encode(sha256(convert_to(lower(OLD.email), 'UTF8')), 'hex')
        AND NEW.member_id = OLD.member_id AND NEW.product_id = OLD.product_id
        AND NEW.signup_id = OLD.signup_id AND NEW.text = OLD.text
        AND NEW.version = OLD.version AND NEW.language = OLD.language
        AND NEW.given_at = OLD.given_at AND NEW.confirmed_at = OLD.confirmed_at
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'consents are append-only except for anonymisation (% on %)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def replace_trigger(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)  # the SQL contains % signs
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION leads_consent_refuse_change()"
    )


def restore_trigger(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION members_refuse_audit_change()"
    )
    schema_editor.execute("DROP FUNCTION IF EXISTS leads_consent_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0001_lead_magnets_signups_consents"),
    ]

    operations = [
        migrations.AddField(
            model_name="consent",
            name="anonymised_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="anonymised at"),
        ),
        migrations.AddField(
            model_name="consent",
            name="email_sha256",
            field=models.CharField(
                blank=True, max_length=64, verbose_name="SHA-256 of the e-mail address"
            ),
        ),
        migrations.RunPython(replace_trigger, restore_trigger, elidable=False),
    ]
