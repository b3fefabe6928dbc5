from django.db import migrations


def seed(apps, schema_editor):
    from wenyuan.library.categories import DEFAULT_CATEGORIES

    Category = apps.get_model("library", "Category")
    for position, (slug, zh, en, children) in enumerate(DEFAULT_CATEGORIES):
        parent, _ = Category.objects.get_or_create(
            slug=slug, defaults={"name_zh": zh, "name_en": en, "position": position}
        )
        for child_position, (child_slug, child_zh, child_en, hints) in enumerate(children):
            Category.objects.get_or_create(
                slug=child_slug,
                defaults={
                    "name_zh": child_zh,
                    "name_en": child_en,
                    "parent": parent,
                    "position": child_position,
                    "hints": hints,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("library", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
