from django.db import migrations, models
import django.db.models.deletion

SQLITE_FORWARD = [
    # Pre-segmented tokens, separated by spaces; unicode61 only splits on the spaces and
    # lower-cases, and never folds Chinese.  rowid is the document id.
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "title, meta, body, tokenize = 'unicode61 remove_diacritics 0')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS search_fts"]

POSTGRES_FORWARD = [
    "ALTER TABLE search_entry ADD COLUMN head tsvector NOT NULL DEFAULT ''::tsvector",
    "ALTER TABLE search_entry ADD COLUMN vector tsvector NOT NULL DEFAULT ''::tsvector",
    "CREATE INDEX search_entry_head_gin ON search_entry USING gin (head)",
    "CREATE INDEX search_entry_vector_gin ON search_entry USING gin (vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS search_entry_vector_gin",
    "DROP INDEX IF EXISTS search_entry_head_gin",
    "ALTER TABLE search_entry DROP COLUMN IF EXISTS vector",
    "ALTER TABLE search_entry DROP COLUMN IF EXISTS head",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    initial = True

    dependencies = [("library", "0003_document_queued_at")]

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "document",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_entry",
                        serialize=False,
                        to="library.document",
                    ),
                ),
                ("published_at", models.DateTimeField(blank=True, null=True)),
                ("stamp", models.CharField(max_length=64)),
                ("indexed_at", models.DateTimeField(auto_now=True)),
            ],
            options={"db_table": "search_entry"},
        ),
        migrations.CreateModel(
            name="SearchMeta",
            fields=[
                ("key", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("value", models.CharField(max_length=200)),
            ],
            options={"db_table": "search_meta"},
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
