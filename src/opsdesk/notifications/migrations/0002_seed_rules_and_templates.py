from django.db import migrations


def seed(apps, schema_editor):
    from opsdesk.notifications.defaults import seed as seed_defaults

    seed_defaults(apps)


def unseed(apps, schema_editor):
    apps.get_model("notifications", "NotificationRule").objects.all().delete()
    apps.get_model("notifications", "NotificationTemplate").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
