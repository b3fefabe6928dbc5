from django.db import migrations, models

from wenyuan.accounts.identity import username_identity


def fill_identity(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    seen = set()
    for user in User.objects.order_by("pk"):
        identity = username_identity(user.username)
        if identity in seen:  # an older account already differs from this one only in case
            identity = f"{identity}#{user.pk}"
        seen.add(identity)
        User.objects.filter(pk=user.pk).update(identity=identity)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="identity",
            field=models.CharField(max_length=600, null=True, editable=False),
        ),
        migrations.RunPython(fill_identity, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="identity",
            field=models.CharField(max_length=600, unique=True, editable=False),
        ),
    ]
