"""On PostgreSQL the database itself refuses UPDATE and DELETE of ledger entries and
transactions (TRUNCATE, which a test run's flush uses, is not affected).  SQLite relies on
the models' guards, and ``wenyuan ledger check`` finds any change made behind them."""

from django.db import migrations

TABLES = ["commerce_entry", "commerce_ledgertransaction"]

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION wenyuan_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger records are append-only (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)  # its % are PL/pgSQL's, not placeholders
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION wenyuan_ledger_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS wenyuan_ledger_append_only()")


class Migration(migrations.Migration):
    dependencies = [("commerce", "0001_ledger")]
    operations = [migrations.RunPython(forwards, backwards)]
