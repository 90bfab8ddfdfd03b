"""The SCIM endpoints: bearer-token authentication, request parsing and answers. Writes go
to ``scim/services.py``; what a resource looks like is ``scim/resources.py``."""

import functools
import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.models import CharField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from opsdesk.access.scim import filters, services
from opsdesk.access.scim.errors import CONTENT_TYPE, ScimError, error_response, invalid_value
from opsdesk.access.scim.resources import etag, group_resource, project, user_resource
from opsdesk.access.scim.schema import (
    DEFAULT_COUNT,
    ENTERPRISE_SCHEMA,
    GROUP,
    LIST_SCHEMA,
    MAX_RESULTS,
    SEARCH_SCHEMA,
    USER,
    USER_SCHEMA,
    ResourceKind,
    resource_types,
    schemas,
    service_provider_config,
)
from opsdesk.core.context import action_context
from opsdesk.core.errors import DomainError
from opsdesk.core.models import AuditEntry, Team
from opsdesk.core.roles import is_admin
from opsdesk.core.services import token_authenticate

# A group PATCH adding thousands of members fits; anything larger is not a SCIM request.
MAX_SCIM_BODY_BYTES = getattr(settings, "SCIM_MAX_BODY_BYTES", 1024 * 1024)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

USER_FIELDS = {
    "id": filters.Field("pk", "id"),
    "externalid": filters.Field("scim_link__external_id", "exact"),
    "username": filters.Field("username"),
    "displayname": filters.Field("display_name"),
    "name.givenname": filters.Field("first_name"),
    "name.familyname": filters.Field("last_name"),
    "title": filters.Field("job_title"),
    "active": filters.Field("is_active", "bool"),
    "emails": filters.Field("email"),
    "emails.value": filters.Field("email"),
    "emails.type": filters.Field("email", when_present="work"),
    "phonenumbers": filters.Field("phone"),
    "phonenumbers.value": filters.Field("phone"),
    "phonenumbers.type": filters.Field("phone", when_present="work"),
    "department": filters.Field("department"),
    "manager": filters.Field("manager_id", "id"),
    "manager.value": filters.Field("manager_id", "id"),
    "groups": filters.Field("teams__id", "id"),
    "groups.value": filters.Field("teams__id", "id"),
    "meta.created": filters.Field("date_joined", "datetime"),
}
GROUP_FIELDS = {
    "id": filters.Field("pk", "id"),
    "externalid": filters.Field("scim_link__external_id", "exact"),
    "displayname": filters.Field("name"),
    "members": filters.Field("members__id", "id"),
    "members.value": filters.Field("members__id", "id"),
    "meta.created": filters.Field("created_at", "datetime"),
    "meta.lastmodified": filters.Field("updated_at", "datetime"),
}


def scim_response(data, status: int = 200, *, version: int | None = None, location=None):
    response = HttpResponse(json.dumps(data), status=status, content_type=CONTENT_TYPE)
    if version is not None:
        response["ETag"] = etag(version)
    if location:
        response["Location"] = location
    return response


def base_url(request) -> str:
    return request.build_absolute_uri("/scim/v2").rstrip("/")


def _authenticate(request):
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="opsdesk"'}
    if scheme.lower() != "bearer" or not raw.strip():
        raise ScimError(401, "Send an API token: Authorization: Bearer <token>.", headers=challenge)
    token = token_authenticate(raw.strip())
    if token is None:
        raise ScimError(401, "The token is not valid, expired or revoked.", headers=challenge)
    if not is_admin(token.user):
        raise ScimError(403, "Provisioning over SCIM needs an administrator's token.")
    searching = request.path.endswith("/.search")  # a POST that only reads
    if token.read_only and request.method in WRITE_METHODS and not searching:
        raise ScimError(403, "This API token is read-only.")
    return token.user


def endpoint(*methods):
    """A SCIM endpoint: token checked, body size limited, errors answered as SCIM errors,
    changes audited with source ``api`` under the token's user."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                actor = _authenticate(request)
                if request.method not in methods:
                    raise ScimError(
                        405,
                        f"{request.method} is not supported here.",
                        headers={"Allow": ", ".join(methods)},
                    )
                with action_context(
                    source="api", request=request, request_id=getattr(request, "request_id", None)
                ):
                    return view(request, actor, *args, **kwargs)
            except ScimError as error:
                return error_response(error)
            except DomainError as error:
                # A refusal from further down (core, access management) not mapped on the way.
                return error_response(services.refusal(error))

        return wrapped

    return decorate


def read_body(request):
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_SCIM_BODY_BYTES:
        raise ScimError(413, f"The body is larger than {MAX_SCIM_BODY_BYTES} bytes.")
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ScimError(413, f"The body is larger than {MAX_SCIM_BODY_BYTES} bytes.") from None
    if len(raw) > MAX_SCIM_BODY_BYTES:
        raise ScimError(413, f"The body is larger than {MAX_SCIM_BODY_BYTES} bytes.")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise ScimError(400, f"The body is not valid JSON ({error}).", "invalidSyntax") from None
    except RecursionError:
        raise ScimError(400, "The body nests too deeply to be SCIM.", "invalidSyntax") from None
    if "\x00" in raw.decode("utf-8", "replace").replace("\\u0000", "\x00"):
        raise ScimError(400, "Text may not contain NUL characters.", "invalidValue")
    return body


def if_match(request) -> int | None:
    value = request.headers.get("If-Match", "").strip()
    if not value or value == "*":
        return None
    digits = value.removeprefix("W/").strip('"')
    if not digits.isdigit():
        raise ScimError(412, 'If-Match must be an ETag this service gave out (W/"<version>").')
    return int(digits)


# --- lists ----------------------------------------------------------------------------------
def _int_param(value, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        raise invalid_value(f"{name} must be a whole number.")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid_value(f"{name} must be a whole number.") from None


def _users():
    modified = (
        AuditEntry.objects.filter(
            object_type="core.user", object_id=Cast(OuterRef("pk"), CharField())
        )
        .order_by("-at")
        .values("at")[:1]
    )
    return (
        services.visible_users()
        .select_related("scim_link")
        .prefetch_related("teams")
        .annotate(last_modified=Subquery(modified))
        .order_by("pk")
    )


def _teams():
    # Members the identity provider deleted are not shown: SCIM answers 404 for them.
    members = Prefetch("members", queryset=services.visible_users().order_by("pk"))
    return Team.objects.select_related("scim_link").prefetch_related(members).order_by("pk")


def _matching(kind: ResourceKind, text):
    """The resources of one kind that ``filter`` selects, in id order."""
    if kind is USER:
        queryset, fields, every = _users(), USER_FIELDS, services.visible_users()
        schemas_ = (USER_SCHEMA, ENTERPRISE_SCHEMA)
    else:
        queryset, fields, every = _teams(), GROUP_FIELDS, Team.objects.all()
        schemas_ = (GROUP.schema,)
    if text in (None, ""):
        return queryset
    if not isinstance(text, str):
        raise filters.invalid_filter("filter must be a string.")
    q = filters.to_q(filters.parse(text), fields, schemas_)
    # Through the ids, so a filter across members or teams never repeats a resource.
    return queryset.filter(pk__in=every.filter(q).values("pk"))


def _page(params: dict) -> tuple[int, int]:
    start = max(_int_param(params.get("startIndex"), "startIndex", 1), 1)
    count = min(max(_int_param(params.get("count"), "count", DEFAULT_COUNT), 0), MAX_RESULTS)
    return start, count


def _resource(kind: ResourceKind, obj, base: str, params: dict) -> dict:
    doc = user_resource(obj, base) if kind is USER else group_resource(obj, base)
    return project(kind, doc, params.get("attributes"), params.get("excludedAttributes"))


def _list_response(total: int, start: int, resources: list[dict]) -> HttpResponse:
    return scim_response(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(resources),
            "Resources": resources,
        }
    )


def _list(request, kind: ResourceKind, params: dict):
    queryset = _matching(kind, params.get("filter"))
    start, count = _page(params)
    total = queryset.count()
    page = list(queryset[start - 1 : start - 1 + count]) if count else []
    base = base_url(request)
    return _list_response(total, start, [_resource(kind, o, base, params) for o in page])


def _search_everything(request, params: dict):
    """POST /.search (RFC 7644 §3.4.3): people, then teams, as one list. A filter naming an
    attribute one kind lacks selects none of that kind; one that fits neither is refused."""
    found, refusals = [], []
    for kind in (USER, GROUP):
        try:
            found.append((kind, _matching(kind, params.get("filter"))))
        except filters.UnknownAttribute as error:
            refusals.append(error)
    if not found:
        raise refusals[0]
    start, count = _page(params)
    totals = [queryset.count() for _, queryset in found]
    base, resources, skip = base_url(request), [], start - 1
    for (kind, queryset), total in zip(found, totals, strict=True):
        if len(resources) >= count:
            break
        if skip >= total:
            skip -= total
            continue
        wanted = count - len(resources)
        resources += [_resource(kind, o, base, params) for o in queryset[skip : skip + wanted]]
        skip = 0
    return _list_response(sum(totals), start, resources)


def _search_params(request) -> dict:
    body = read_body(request)
    if not isinstance(body, dict):
        raise ScimError(400, "The body must be a SearchRequest object.", "invalidSyntax")
    given = body.get("schemas")
    if not isinstance(given, list) or SEARCH_SCHEMA not in given:
        raise ScimError(400, f'"schemas" must list {SEARCH_SCHEMA}.', "invalidSyntax")
    return body


# --- one resource ---------------------------------------------------------------------------
def _one_user(request, user_id) -> HttpResponse:
    user = _users().filter(pk=int(user_id)).first() if str(user_id).isdigit() else None
    if user is None:
        raise ScimError(404, f"No User with id {user_id}.")
    doc = project(
        USER,
        user_resource(user, base_url(request)),
        request.GET.get("attributes"),
        request.GET.get("excludedAttributes"),
    )
    return scim_response(doc, version=user.version, location=doc.get("meta", {}).get("location"))


def _user_answer(request, user, status=200) -> HttpResponse:
    fresh = _users().get(pk=user.pk)
    doc = user_resource(fresh, base_url(request))
    return scim_response(doc, status, version=fresh.version, location=doc["meta"]["location"])


def _one_team(request, team_id) -> HttpResponse:
    team = _teams().filter(pk=int(team_id)).first() if str(team_id).isdigit() else None
    if team is None:
        raise ScimError(404, f"No Group with id {team_id}.")
    doc = project(
        GROUP,
        group_resource(team, base_url(request)),
        request.GET.get("attributes"),
        request.GET.get("excludedAttributes"),
    )
    return scim_response(doc, version=team.version, location=doc.get("meta", {}).get("location"))


def _team_answer(request, team, status=200) -> HttpResponse:
    fresh = _teams().get(pk=team.pk)
    doc = group_resource(fresh, base_url(request))
    return scim_response(doc, status, version=fresh.version, location=doc["meta"]["location"])


# --- the endpoints --------------------------------------------------------------------------
@endpoint("GET", "POST")
def users(request, actor):
    if request.method == "GET":
        return _list(request, USER, request.GET)
    user = services.scim_user_create(actor=actor, body=read_body(request))
    return _user_answer(request, user, 201)


@endpoint("POST")
def users_search(request, actor):
    return _list(request, USER, _search_params(request))


@endpoint("GET", "PUT", "PATCH", "DELETE")
def user_detail(request, actor, user_id):
    if request.method == "GET":
        return _one_user(request, user_id)
    if request.method == "DELETE":
        services.scim_user_delete(actor=actor, user_id=user_id, expected_version=if_match(request))
        return HttpResponse(status=204)
    body = read_body(request)
    if request.method == "PUT":
        user = services.scim_user_replace(
            actor=actor, user_id=user_id, body=body, expected_version=if_match(request)
        )
    else:
        user = services.scim_user_patch(
            actor=actor,
            user_id=user_id,
            body=body,
            base=base_url(request),
            expected_version=if_match(request),
        )
    return _user_answer(request, user)


@endpoint("GET", "POST")
def groups(request, actor):
    if request.method == "GET":
        return _list(request, GROUP, request.GET)
    team = services.scim_group_create(actor=actor, body=read_body(request))
    return _team_answer(request, team, 201)


@endpoint("POST")
def groups_search(request, actor):
    return _list(request, GROUP, _search_params(request))


@endpoint("GET", "PUT", "PATCH", "DELETE")
def group_detail(request, actor, team_id):
    if request.method == "GET":
        return _one_team(request, team_id)
    if request.method == "DELETE":
        services.scim_group_delete(actor=actor, team_id=team_id, expected_version=if_match(request))
        return HttpResponse(status=204)
    body = read_body(request)
    if request.method == "PUT":
        team = services.scim_group_replace(
            actor=actor, team_id=team_id, body=body, expected_version=if_match(request)
        )
    else:
        team = services.scim_group_patch(
            actor=actor,
            team_id=team_id,
            body=body,
            base=base_url(request),
            expected_version=if_match(request),
        )
    return _team_answer(request, team)


@endpoint("GET")
def service_provider_config_view(request, actor):
    return scim_response(service_provider_config(base_url(request)))


def _listed(resources: list[dict]) -> HttpResponse:
    return _list_response(len(resources), 1, resources)


@endpoint("GET")
def resource_types_view(request, actor, name=None):
    found = resource_types(base_url(request))
    if name is None:
        return _listed(found)
    match = next((r for r in found if r["id"] == name), None)
    if match is None:
        raise ScimError(404, f"No ResourceType {name}.")
    return scim_response(match)


@endpoint("GET")
def schemas_view(request, actor, urn=None):
    found = schemas(base_url(request))
    if urn is None:
        return _listed(found)
    match = next((s for s in found if s["id"].lower() == urn.lower()), None)
    if match is None:
        raise ScimError(404, f"No Schema {urn}.")
    return scim_response(match)


@endpoint("POST")
def search_everything(request, actor):
    return _search_everything(request, _search_params(request))


@endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def not_implemented(request, actor, *args, **kwargs):
    raise ScimError(501, "opsdesk's SCIM service does not offer Bulk or /Me.")


@endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def not_found(request, actor, *args, **kwargs):
    raise ScimError(404, f"Nothing at {request.path}.")
