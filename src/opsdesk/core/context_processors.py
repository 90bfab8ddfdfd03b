from django.apps import apps
from django.conf import settings

from opsdesk.core.roles import is_agent


def navigation(request):
    """The navigation bar: each domain app lists its own entries in ``AppConfig.nav_items``."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    agent = is_agent(user)
    items = []
    for label in settings.OPSDESK_APPS:
        config = apps.get_app_config(label.rsplit(".", 1)[-1])
        for title, url_name, audience in getattr(config, "nav_items", []):
            if audience == "all" or agent:
                items.append({"title": title, "url_name": url_name})
    return {"nav_items": items, "is_agent": agent}
