from django.apps import apps
from django.conf import settings
from django.urls import NoReverseMatch, reverse

from opsdesk.core.roles import Role, has_role, is_admin, is_agent
from opsdesk.core.views.theme import THEME_COOKIE

# The menus of the top navigation, in the service desk's own words. Each app still declares
# its entries in ``AppConfig.nav_items`` (label, url name, audience); this table only says
# under which menu an app's entries appear, in which order, so the grouping reads in one
# place. Entries of an app missing here land in "More": nothing becomes unreachable.
NAV_MENUS = (
    (
        "service-desk",
        "Service desk",
        ("incidents", "service_requests", "problems", "servicedesk", "approvals", "access"),
    ),
    ("operations", "Operations", ("events", "oncall")),
    ("reports", "Reports", ("reporting",)),
    ("configuration", "Configuration", ("cmdb", "sla", "core", "notifications")),
)
OTHER_MENU = ("more", "More")
# Django's own admin site has no app config of ours; staff find it with the configuration.
ADMIN_MENU = "configuration"


def _entries(user, agent: bool) -> list[dict]:
    """Every entry the user may see, with its address; entries whose URL is gone are skipped."""
    entries = []
    admin = is_admin(user)
    for label in settings.OPSDESK_APPS:
        app_label = label.rsplit(".", 1)[-1]
        config = apps.get_app_config(app_label)
        for title, url_name, audience in getattr(config, "nav_items", []):
            # "admin" entries are configuration only administrators may open; "approver"
            # entries are for agents and for holders of the Approver role (managers).
            if (
                audience == "all"
                or (audience == "agent" and agent)
                or (audience == "admin" and admin)
                or (audience == "approver" and (agent or has_role(user, Role.APPROVER)))
            ):
                entries.append(_entry(title, url_name, app_label))
    if user.is_staff:
        entries.append(_entry("Admin", "admin:index", None))
    return [entry for entry in entries if entry["href"]]


def _entry(title: str, url_name: str, app_label: str | None) -> dict:
    try:
        href = reverse(url_name)
    except NoReverseMatch:
        href = ""
    return {"title": title, "url_name": url_name, "href": href, "app": app_label}


def _section(path: str, entries: list[dict]) -> dict | None:
    """The entry whose address is the longest prefix of ``path``: the section the page is in."""
    best = None
    for entry in entries:
        href = entry["href"]
        inside = href != "/" and (path == href or path.startswith(href.rstrip("/") + "/"))
        if inside and (best is None or len(href) > len(best["href"])):
            best = entry
    return best


def _menus(entries: list[dict], section: dict | None) -> list[dict]:
    menu_of = {app: key for key, _, app_labels in NAV_MENUS for app in app_labels}
    menus = {key: {"key": key, "title": title, "items": []} for key, title, _ in NAV_MENUS}
    menus[OTHER_MENU[0]] = {"key": OTHER_MENU[0], "title": OTHER_MENU[1], "items": []}
    order = {app: i for _, _, app_labels in NAV_MENUS for i, app in enumerate(app_labels)}
    for entry in sorted(entries, key=lambda e: order.get(e["app"], len(order))):
        key = ADMIN_MENU if entry["app"] is None else menu_of.get(entry["app"], OTHER_MENU[0])
        menus[key]["items"].append(entry)
    for menu in menus.values():
        menu["current"] = any(item is section for item in menu["items"])
    return [menu for menu in menus.values() if menu["items"]]


def _portal_entries() -> list[dict]:
    """The portal's links, which each app declares in ``AppConfig.portal_nav_items`` as
    (order, label, url name), so a lower app's portal pages share the portal's navigation."""
    entries = []
    for label in settings.OPSDESK_APPS:
        config = apps.get_app_config(label.rsplit(".", 1)[-1])
        for order, title, url_name in getattr(config, "portal_nav_items", []):
            entry = _entry(title, url_name, config.label)
            if entry["href"]:
                entries.append((order, entry))
    return [entry for _, entry in sorted(entries, key=lambda pair: pair[0])]


def navigation(request):
    """The navigation bar: agents get menus grouped by ``NAV_MENUS``, requesters a short list."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_menus": [], "portal_nav": []}
    agent = is_agent(user)
    entries = _entries(user, agent)
    section = _section(request.path, entries)
    view_name = getattr(getattr(request, "resolver_match", None), "view_name", None)
    for entry in entries:
        entry["current"] = entry["url_name"] == view_name
    menus = _menus(entries, section) if agent else []
    portal = _portal_entries()
    for entry in portal:
        entry["current"] = entry["url_name"] == view_name
    return {"nav_items": entries, "nav_menus": menus, "is_agent": agent, "portal_nav": portal}


def theme(request):
    """The theme chosen in the user menu: "light", "dark", or "system" (follow the device)."""
    chosen = request.COOKIES.get(THEME_COOKIE)
    return {"theme": chosen if chosen in ("light", "dark") else "system"}
