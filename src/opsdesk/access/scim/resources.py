"""People and teams as SCIM resources, and SCIM bodies read back into opsdesk's fields.

The mapping (docs/access.md lists it for administrators):
``userName`` username, ``name.givenName``/``familyName`` first/last name, ``displayName``,
``title`` job title, ``active``, one ``emails`` and one ``phoneNumbers`` value (type work),
the enterprise extension's ``department`` and ``manager.value`` (an opsdesk id); a Group is a
team: ``displayName`` its name, ``members`` its people. ``externalId`` is kept beside them.
"""

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist

from opsdesk.access.scim.errors import ScimError, invalid_value
from opsdesk.access.scim.schema import (
    ENTERPRISE_SCHEMA,
    GROUP,
    GROUP_SCHEMA,
    USER,
    USER_SCHEMA,
    ResourceKind,
)

# --- opsdesk -> SCIM ------------------------------------------------------------------------


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def etag(version: int) -> str:
    return f'W/"{version}"'


def _external_id(obj) -> str:
    try:
        return obj.scim_link.external_id
    except ObjectDoesNotExist:
        return ""


def user_resource(user, base: str) -> dict:
    doc: dict = {"schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA], "id": str(user.pk)}
    if external := _external_id(user):
        doc["externalId"] = external
    doc["userName"] = user.username
    name = {k: v for k, v in (("givenName", user.first_name), ("familyName", user.last_name)) if v}
    if name:
        doc["name"] = name
    if user.display_name:
        doc["displayName"] = user.display_name
    if user.job_title:
        doc["title"] = user.job_title
    doc["active"] = user.is_active
    if user.email:
        doc["emails"] = [{"value": user.email, "type": "work"}]
    if user.phone:
        doc["phoneNumbers"] = [{"value": user.phone, "type": "work"}]
    teams = list(user.teams.all())
    if teams:
        doc["groups"] = [
            {
                "value": str(team.pk),
                "$ref": f"{base}/Groups/{team.pk}",
                "display": team.name,
                "type": "direct",
            }
            for team in teams
        ]
    enterprise = {}
    if user.department:
        enterprise["department"] = user.department
    if user.manager_id:
        enterprise["manager"] = {
            "value": str(user.manager_id),
            "$ref": f"{base}/Users/{user.manager_id}",
        }
    if enterprise:
        doc[ENTERPRISE_SCHEMA] = enterprise
    modified = getattr(user, "last_modified", None) or user.date_joined
    doc["meta"] = {
        "resourceType": "User",
        "created": _iso(user.date_joined),
        "lastModified": _iso(max(modified, user.date_joined)),
        "location": f"{base}/Users/{user.pk}",
        "version": etag(user.version),
    }
    return doc


def group_resource(team, base: str, members=None) -> dict:
    doc: dict = {"schemas": [GROUP_SCHEMA], "id": str(team.pk)}
    if external := _external_id(team):
        doc["externalId"] = external
    doc["displayName"] = team.name
    people = members if members is not None else list(team.members.all())
    if people:
        doc["members"] = [
            {"value": str(p.pk), "$ref": f"{base}/Users/{p.pk}", "type": "User"} for p in people
        ]
    doc["meta"] = {
        "resourceType": "Group",
        "created": _iso(team.created_at),
        "lastModified": _iso(team.updated_at),
        "location": f"{base}/Groups/{team.pk}",
        "version": etag(team.version),
    }
    return doc


# --- attributes and excludedAttributes (RFC 7644 §3.4.2.5) ------------------------------------
ALWAYS = frozenset({"id", "schemas"})


def _names(kind: ResourceKind, text) -> list[tuple[str, str, str]]:
    """(schema, attribute, sub-attribute) for each comma-separated name, lower-cased."""
    if isinstance(text, list):
        items = text
    else:
        items = (text or "").split(",")
    out = []
    for item in items:
        if not isinstance(item, str):
            raise invalid_value("attributes are given as names.")
        item = item.strip()
        if not item:
            continue
        schema = kind.schema
        name = item
        if item.lower().startswith("urn:"):
            whole = kind.schema_named(item)
            if whole:
                out.append((whole, "", ""))
                continue
            urn, _, name = item.rpartition(":")
            schema = kind.schema_named(urn) or urn
        attr, _, sub = name.partition(".")
        if schema == kind.schema and kind.extensions:
            for urn, attrs in kind.extensions.items():
                if any(a.name.lower() == attr.lower() for a in attrs):
                    schema = urn
        out.append((schema, attr.lower(), sub.lower()))
    return out


def project(kind: ResourceKind, doc: dict, attributes=None, excluded=None) -> dict:
    if attributes:
        wanted = _names(kind, attributes)
        out = {}
        for key, value in doc.items():
            if key in ALWAYS:
                out[key] = value
                continue
            schema = kind.schema_named(key)
            if schema and schema != kind.schema:
                chosen = [(a, s) for (sch, a, s) in wanted if sch == schema]
                if any(not a for a, _ in chosen):
                    out[key] = value
                elif chosen:
                    part = _pick(value, chosen)
                    if part:
                        out[key] = part
                continue
            chosen = [(a, s) for (sch, a, s) in wanted if sch == kind.schema]
            part = _pick({key: value}, chosen)
            if part:
                out.update(part)
        if kind.extensions:
            present = [s for s in doc["schemas"] if s == kind.schema or s in out]
            out["schemas"] = present
        return out
    if excluded:
        unwanted = _names(kind, excluded)
        out = {}
        for key, value in doc.items():
            schema = kind.schema_named(key)
            if schema and schema != kind.schema:
                dropped = [(a, s) for (sch, a, s) in unwanted if sch == schema]
                if any(not a for a, _ in dropped):
                    continue
                value = _drop(value, dropped)
                if value:
                    out[key] = value
                continue
            dropped = [(a, s) for (sch, a, s) in unwanted if sch == kind.schema]
            if key in ALWAYS:
                out[key] = value
            else:
                out.update(_drop({key: value}, dropped))
        return out
    return doc


def _pick(block: dict, chosen) -> dict:
    out = {}
    for key, value in block.items():
        subs = [s for a, s in chosen if a == key.lower()]
        if not subs:
            continue
        if "" in subs or not isinstance(value, dict | list):
            out[key] = value
        elif isinstance(value, dict):
            out[key] = {k: v for k, v in value.items() if k.lower() in subs}
        else:
            out[key] = [{k: v for k, v in e.items() if k.lower() in subs} for e in value]
    return out


def _drop(block: dict, dropped) -> dict:
    out = {}
    for key, value in block.items():
        subs = [s for a, s in dropped if a == key.lower()]
        if "" in subs:
            continue
        if subs and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k.lower() not in subs}
        elif subs and isinstance(value, list):
            value = [{k: v for k, v in e.items() if k.lower() not in subs} for e in value]
        out[key] = value
    return out


# --- SCIM -> opsdesk ------------------------------------------------------------------------
@dataclass
class UserValues:
    fields: dict  # core User fields; manager as an id (resolved by the service)
    external_id: str | None  # None: not given


@dataclass
class GroupValues:
    name: str
    member_ids: list[int]
    external_id: str | None


def _lower_keys(doc: dict) -> dict:
    return {k.lower(): v for k, v in doc.items() if isinstance(k, str)}


def check_schemas(doc, schema: str) -> None:
    if not isinstance(doc, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    given = doc.get("schemas")
    if not isinstance(given, list) or not all(isinstance(s, str) for s in given):
        raise ScimError(400, f'"schemas" must list {schema}.', "invalidSyntax")
    if schema.lower() not in {s.lower() for s in given}:
        raise ScimError(400, f'"schemas" must list {schema}.', "invalidSyntax")


def _text(value, name: str, *, required: bool = False) -> str:
    if value is None:
        if required:
            raise invalid_value(f"{name} is required.")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise invalid_value(f"{name} must be a string.")
    text = str(value).strip()
    if required and not text:
        raise invalid_value(f"{name} is required.")
    return text


def _boolean(value, name: str) -> bool:
    if isinstance(value, bool):
        return value
    # Entra sends "True" and "False" as strings in PATCH.
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise invalid_value(f"{name} must be true or false.")


def _complex(value, name: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_value(f"{name} must be an object.")
    return _lower_keys(value)


def _first_value(value, name: str) -> str:
    """The one address opsdesk keeps: the primary, else the work one, else the first."""
    if value is None:
        return ""
    if not isinstance(value, list):
        raise invalid_value(f"{name} must be a list of objects.")
    elements = []
    for element in value:
        if not isinstance(element, dict):
            raise invalid_value(f"{name} must be a list of objects.")
        elements.append(_lower_keys(element))
    if not elements:
        return ""

    def rank(element):
        primary = element.get("primary") in (True, "true", "True")
        work = str(element.get("type") or "").lower() == "work"
        return (not primary, not work)

    chosen = sorted(elements, key=rank)[0]
    return _text(chosen.get("value"), f"{name}.value")


def _external(top: dict) -> str | None:
    if "externalid" not in top:
        return None
    return _text(top["externalid"], "externalId")


def read_user(doc: dict, *, keep_active_when_absent: bool) -> UserValues:
    """A whole User (POST, PUT, or a PATCH's result) as core fields; missing means cleared."""
    check_schemas(doc, USER_SCHEMA)
    top = _lower_keys(doc)
    name = _complex(top.get("name"), "name")
    enterprise = _complex(
        next((v for k, v in doc.items() if k.lower() == ENTERPRISE_SCHEMA.lower()), None),
        ENTERPRISE_SCHEMA,
    )
    manager = enterprise.get("manager")
    if isinstance(manager, str | int) and not isinstance(manager, bool):
        manager = {"value": manager}  # Entra's bare id
    manager_value = _text(_complex(manager, "manager").get("value"), "manager.value")
    if manager_value and not manager_value.isdigit():
        raise invalid_value(f"manager.value {manager_value!r} is not an opsdesk user's id.")
    fields = {
        "username": _text(top.get("username"), "userName", required=True),
        "first_name": _text(name.get("givenname"), "name.givenName"),
        "last_name": _text(name.get("familyname"), "name.familyName"),
        "display_name": _text(top.get("displayname"), "displayName"),
        "job_title": _text(top.get("title"), "title"),
        "email": _first_value(top.get("emails"), "emails"),
        "phone": _first_value(top.get("phonenumbers"), "phoneNumbers"),
        "department": _text(enterprise.get("department"), "department"),
        "manager": int(manager_value) if manager_value else None,
    }
    if top.get("active") is not None:
        fields["is_active"] = _boolean(top["active"], "active")
    elif not keep_active_when_absent:
        fields["is_active"] = True
    return UserValues(fields=fields, external_id=_external(top))


def read_group(doc: dict) -> GroupValues:
    check_schemas(doc, GROUP_SCHEMA)
    top = _lower_keys(doc)
    name = _text(top.get("displayname"), "displayName", required=True)
    members = top.get("members")
    if members is None:
        members = []
    if not isinstance(members, list):
        raise invalid_value("members must be a list of objects.")
    ids = []
    for member in members:
        if not isinstance(member, dict):
            raise invalid_value("members must be a list of objects.")
        member = _lower_keys(member)
        kind = str(member.get("type") or "User")
        if kind.lower() != "user":
            raise invalid_value("A team's members are people: opsdesk teams hold no teams.")
        value = _text(member.get("value"), "members.value", required=True)
        if not value.isdigit():
            raise invalid_value(f"members.value {value!r} is not an opsdesk user's id.")
        if int(value) not in ids:
            ids.append(int(value))
    return GroupValues(name=name, member_ids=ids, external_id=_external(top))


KINDS = {"Users": USER, "Groups": GROUP}
