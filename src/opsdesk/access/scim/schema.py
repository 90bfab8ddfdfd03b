"""What opsdesk's SCIM service stores, described once: the attribute definitions that the
``/Schemas`` endpoint publishes and that bodies, PATCH paths and filters are read against.

Only what opsdesk keeps is published, so a client (and a compliance checker) reading the
schemas knows exactly what it gets back. Standard attributes opsdesk does not keep
(``nickName``, ``addresses``, ``employeeNumber`` ...) are accepted and ignored, because
identity providers send them by default; see ``IGNORED``.
"""

from dataclasses import dataclass, field

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"


@dataclass(frozen=True)
class Attr:
    name: str
    type: str = "string"
    multi: bool = False
    required: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    case_exact: bool = False
    sub: tuple = ()
    canonical: tuple = ()
    reference_types: tuple = ()
    description: str = ""

    def child(self, name: str) -> "Attr | None":
        return find(self.sub, name)

    def describe(self) -> dict:
        out = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        }
        if self.canonical:
            out["canonicalValues"] = list(self.canonical)
        if self.reference_types:
            out["referenceTypes"] = list(self.reference_types)
        if self.sub:
            out["subAttributes"] = [a.describe() for a in self.sub]
        return out


def find(attrs, name: str) -> Attr | None:
    """Attribute names are case-insensitive (RFC 7643 §2.1)."""
    wanted = name.lower()
    return next((a for a in attrs if a.name.lower() == wanted), None)


def _kind(values: tuple[str, ...]) -> Attr:
    return Attr("type", canonical=values, description="Only work addresses are kept.")


USER_ATTRS = (
    Attr(
        "userName",
        required=True,
        uniqueness="server",
        description="The sign-in name; unique regardless of case.",
    ),
    Attr(
        "name",
        type="complex",
        sub=(
            Attr("givenName", description="First name."),
            Attr("familyName", description="Last name."),
        ),
    ),
    Attr("displayName", description="The name shown in opsdesk."),
    Attr("title", description="Job title."),
    # Required: a person is always active or not, so it cannot be removed; false is a leaver.
    Attr("active", type="boolean", required=True, description="False disables the account."),
    Attr(
        "emails",
        type="complex",
        multi=True,
        description="opsdesk keeps one address: the primary, else the work, else the first.",
        sub=(Attr("value"), _kind(("work",))),
    ),
    Attr(
        "phoneNumbers",
        type="complex",
        multi=True,
        description="opsdesk keeps one number: the primary, else the work, else the first.",
        sub=(Attr("value"), _kind(("work",))),
    ),
    Attr(
        "groups",
        type="complex",
        multi=True,
        mutability="readOnly",
        description="The teams the person belongs to; change them through /Groups.",
        sub=(
            Attr("value", mutability="readOnly", case_exact=True),
            Attr(
                "$ref",
                type="reference",
                mutability="readOnly",
                case_exact=True,
                reference_types=("Group",),
            ),
            Attr("display", mutability="readOnly"),
            Attr("type", mutability="readOnly", canonical=("direct",)),
        ),
    ),
)

ENTERPRISE_ATTRS = (
    Attr("department"),
    Attr(
        "manager",
        type="complex",
        description="The person's manager, by their opsdesk id.",
        sub=(
            Attr("value", case_exact=True),
            Attr("$ref", type="reference", case_exact=True, reference_types=("User",)),
        ),
    ),
)

GROUP_ATTRS = (
    Attr("displayName", required=True, uniqueness="server", description="The team's name."),
    Attr(
        "members",
        type="complex",
        multi=True,
        description="People in the team; teams do not contain teams.",
        sub=(
            Attr("value", mutability="immutable", case_exact=True),
            Attr(
                "$ref",
                type="reference",
                mutability="immutable",
                case_exact=True,
                reference_types=("User",),
            ),
            Attr("type", mutability="immutable", canonical=("User",)),
        ),
    ),
)

# Common attributes (RFC 7643 §3.1), accepted on every resource.
EXTERNAL_ID = Attr("externalId", case_exact=True, description="The identity provider's id.")
READ_ONLY_COMMON = frozenset({"id", "meta", "schemas"})

# Standard attributes opsdesk does not keep: accepted and ignored (see the module docstring).
IGNORED = {
    USER_SCHEMA: frozenset(
        {
            "nickname",
            "profileurl",
            "usertype",
            "preferredlanguage",
            "locale",
            "timezone",
            "password",
            "addresses",
            "ims",
            "photos",
            "entitlements",
            "roles",
            "x509certificates",
        }
    ),
    ENTERPRISE_SCHEMA: frozenset({"employeenumber", "costcenter", "organization", "division"}),
    GROUP_SCHEMA: frozenset(),
}


@dataclass(frozen=True)
class ResourceKind:
    name: str  # User, Group
    endpoint: str  # Users, Groups
    schema: str
    attrs: tuple
    extensions: dict = field(default_factory=dict)  # urn -> attrs

    def attrs_of(self, schema: str) -> tuple:
        return self.attrs if schema == self.schema else self.extensions[schema]

    def schema_named(self, urn: str) -> str | None:
        """The schema this resource knows under ``urn`` (case-insensitive), if any."""
        for known in (self.schema, *self.extensions):
            if known.lower() == urn.lower():
                return known
        return None


USER = ResourceKind("User", "Users", USER_SCHEMA, USER_ATTRS, {ENTERPRISE_SCHEMA: ENTERPRISE_ATTRS})
GROUP = ResourceKind("Group", "Groups", GROUP_SCHEMA, GROUP_ATTRS)


# --- discovery documents (RFC 7644 §4) -------------------------------------------------------
def _schema_doc(urn: str, name: str, description: str, attrs: tuple, base: str) -> dict:
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": urn,
        "name": name,
        "description": description,
        "attributes": [a.describe() for a in attrs],
        "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{urn}"},
    }


def _ro(name: str, type_: str = "string", **kwargs) -> Attr:
    return Attr(name, type=type_, mutability="readOnly", **kwargs)


# The three schemas that describe the discovery documents themselves, which RFC 7644 §4 asks
# every service provider to publish too.
_SPC_ATTRS = (
    _ro("documentationUri", "reference", reference_types=("external",)),
    _ro("patch", "complex", required=True, sub=(_ro("supported", "boolean", required=True),)),
    _ro(
        "bulk",
        "complex",
        required=True,
        sub=(
            _ro("supported", "boolean", required=True),
            _ro("maxOperations", "integer", required=True),
            _ro("maxPayloadSize", "integer", required=True),
        ),
    ),
    _ro(
        "filter",
        "complex",
        required=True,
        sub=(
            _ro("supported", "boolean", required=True),
            _ro("maxResults", "integer", required=True),
        ),
    ),
    _ro("changePassword", "complex", required=True, sub=(_ro("supported", "boolean"),)),
    _ro("sort", "complex", required=True, sub=(_ro("supported", "boolean"),)),
    _ro("etag", "complex", required=True, sub=(_ro("supported", "boolean"),)),
    _ro(
        "authenticationSchemes",
        "complex",
        multi=True,
        required=True,
        sub=(_ro("type"), _ro("name"), _ro("description")),
    ),
)
_RESOURCE_TYPE_ATTRS = (
    _ro("id"),
    _ro("name", required=True),
    _ro("description"),
    _ro("endpoint", "reference", required=True, reference_types=("uri",)),
    _ro("schema", "reference", required=True, case_exact=True, reference_types=("uri",)),
    _ro(
        "schemaExtensions",
        "complex",
        multi=True,
        sub=(
            _ro("schema", "reference", required=True, reference_types=("uri",)),
            _ro("required", "boolean", required=True),
        ),
    ),
)
_SCHEMA_ATTRS = (
    _ro("id", required=True),
    _ro("name"),
    _ro("description"),
    _ro(
        "attributes",
        "complex",
        multi=True,
        required=True,
        sub=(
            _ro("name", required=True),
            _ro("type", required=True),
            _ro("multiValued", "boolean", required=True),
            _ro("description"),
            _ro("required", "boolean"),
            _ro("canonicalValues", multi=True),
            _ro("caseExact", "boolean"),
            _ro("mutability"),
            _ro("returned"),
            _ro("uniqueness"),
            _ro("referenceTypes", multi=True),
        ),
    ),
)


def schemas(base: str) -> list[dict]:
    return [
        _schema_doc(USER_SCHEMA, "User", "A person who uses opsdesk.", USER_ATTRS, base),
        _schema_doc(
            ENTERPRISE_SCHEMA,
            "EnterpriseUser",
            "Department and manager, which access management's rules read.",
            ENTERPRISE_ATTRS,
            base,
        ),
        _schema_doc(GROUP_SCHEMA, "Group", "A team (support group).", GROUP_ATTRS, base),
        _schema_doc(
            SPC_SCHEMA, "ServiceProviderConfig", "What this service supports.", _SPC_ATTRS, base
        ),
        _schema_doc(
            RESOURCE_TYPE_SCHEMA, "ResourceType", "A kind of resource.", _RESOURCE_TYPE_ATTRS, base
        ),
        _schema_doc(SCHEMA_SCHEMA, "Schema", "A resource's attributes.", _SCHEMA_ATTRS, base),
    ]


def resource_types(base: str) -> list[dict]:
    def doc(kind: ResourceKind, description: str) -> dict:
        return {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": kind.name,
            "name": kind.name,
            "description": description,
            "endpoint": f"/{kind.endpoint}",
            "schema": kind.schema,
            "schemaExtensions": [{"schema": urn, "required": False} for urn in kind.extensions],
            "meta": {
                "resourceType": "ResourceType",
                "location": f"{base}/ResourceTypes/{kind.name}",
            },
        }

    return [doc(USER, "People"), doc(GROUP, "Teams")]


MAX_RESULTS = 200
DEFAULT_COUNT = 100


def service_provider_config(base: str) -> dict:
    return {
        "schemas": [SPC_SCHEMA],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "An opsdesk API token of an administrator "
                "(opsdesk token create), sent as Authorization: Bearer <token>.",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base}/ServiceProviderConfig",
        },
    }
