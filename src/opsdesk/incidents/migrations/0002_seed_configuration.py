"""Seed the resolution codes and the 3 x 3 priority matrix; administrators edit them later."""

from django.db import migrations

RESOLUTION_CODES = [
    ("solved_permanently", "Solved permanently"),
    ("workaround_applied", "Workaround applied"),
    ("not_reproducible", "Not reproducible"),
    ("duplicate", "Duplicate"),
    ("user_error", "User error"),
    ("cancelled_by_caller", "Cancelled by caller"),
    ("resolved_by_change", "Resolved by change"),
    ("third_party_fix", "Fixed by vendor"),
]

# impact (rows, 1 high) x urgency (columns, 1 high) -> priority
MATRIX = {
    (1, 1): 1, (1, 2): 2, (1, 3): 3,
    (2, 1): 2, (2, 2): 3, (2, 3): 4,
    (3, 1): 3, (3, 2): 4, (3, 3): 5,
}


def seed(apps, schema_editor):
    ResolutionCode = apps.get_model("incidents", "ResolutionCode")
    PriorityMatrixRow = apps.get_model("incidents", "PriorityMatrixRow")
    for order, (key, name) in enumerate(RESOLUTION_CODES):
        ResolutionCode.objects.get_or_create(key=key, defaults={"name": name, "order": order})
    for (impact, urgency), priority in MATRIX.items():
        PriorityMatrixRow.objects.get_or_create(
            impact=impact, urgency=urgency, defaults={"priority": priority}
        )


def unseed(apps, schema_editor):
    apps.get_model("incidents", "ResolutionCode").objects.filter(
        key__in=[key for key, _ in RESOLUTION_CODES]
    ).delete()
    apps.get_model("incidents", "PriorityMatrixRow").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
