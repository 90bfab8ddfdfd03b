"""System checks that keep an install honest."""

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def check_data_dir_writable(app_configs, **kwargs):
    import os

    if not os.access(settings.DATA_DIR, os.W_OK):
        return [
            Warning(
                f"The data directory {settings.DATA_DIR} is not writable.",
                hint="Set OPSDESK_DATA_DIR to a directory the opsdesk user can write.",
                id="opsdesk.W001",
            )
        ]
    return []
