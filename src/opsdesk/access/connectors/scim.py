"""SCIM 2.0 (RFC 7643/7644) group membership and account state, for Entra ID, Okta, authentik,
Keycloak's SCIM extensions and anything else that speaks it.

The target's ``url`` is the SCIM base (``https://idp.example.com/scim/v2``) and its ``secret``
the bearer token. A group is named by its SCIM ``id``. A person is found by
``userName eq "<opsdesk username>"`` and created (active, with name and work e-mail) the first
time they are added to a group; membership is changed with PATCH (RFC 7644 §3.5.2) so other
members are never rewritten, and disabling an account PATCHes ``active`` to false.

Written on httpx rather than a SCIM client library: five requests are all it takes, and owning
them lets every refusal carry the server's own ``detail`` and tolerate the small deviations
of real identity providers from the schemas.
"""

import httpx

from opsdesk.access.connectors import TIMEOUT_SECONDS, ConnectorError, ExternalGroup

SCIM_JSON = "application/scim+json"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PAGE_SIZE = 100
# Members are resolved to usernames this many ids per filtered search.
IDS_PER_SEARCH = 50


def _json_or_none(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _quoted(value: str) -> str:
    """A SCIM filter string literal (RFC 7644 §3.4.2.2 uses JSON string rules)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ScimConnector:
    def __init__(self, target):
        self.target = target
        self.url = target.url.rstrip("/")

    # -- the HTTP exchange --------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, doing: str, ok_scim_types=(), **kwargs
    ) -> dict | None:
        """Send one request; a 2xx answer's JSON (None when empty), else ConnectorError.
        An error whose ``scimType`` is in ``ok_scim_types`` is answered with None: the caller
        counts it as success."""
        headers = {"Accept": SCIM_JSON}
        if self.target.secret:
            headers["Authorization"] = f"Bearer {self.target.secret}"
        if "json" in kwargs:
            headers["Content-Type"] = SCIM_JSON
        try:
            with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
                response = client.request(method, self.url + path, headers=headers, **kwargs)
        except httpx.TimeoutException as error:
            raise ConnectorError(
                f"SCIM at {self.url} did not answer within {TIMEOUT_SECONDS} s"
            ) from error
        except (httpx.HTTPError, ValueError) as error:
            raise ConnectorError(f"SCIM at {self.url} did not answer: {error}") from error
        if not response.is_success and ok_scim_types:
            scim_type = _json_or_none(response).get("scimType")
            if scim_type in ok_scim_types:
                return None
        if not response.is_success:
            raise ConnectorError(f"SCIM at {self.url} refused {doing}: {self._reason(response)}")
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as error:
            raise ConnectorError(
                f"SCIM at {self.url} answered {doing} with something that is not JSON"
            ) from error

    @staticmethod
    def _reason(response: httpx.Response) -> str:
        # RFC 7644 §3.12: an error body says what kind (scimType) and why (detail).
        body = _json_or_none(response)
        parts = [f"HTTP {response.status_code}", body.get("scimType"), body.get("detail")]
        return " ".join(str(part) for part in parts if part)

    def _search(self, resource: str, *, filter: str | None = None, doing: str) -> list[dict]:
        """Every resource a search finds, page by page."""
        found: list[dict] = []
        start = 1
        while True:
            params = {"startIndex": start, "count": PAGE_SIZE}
            if filter:
                params["filter"] = filter
            page = self._request("GET", f"/{resource}", params=params, doing=doing) or {}
            resources = page.get("Resources") or []
            found.extend(resources)
            total = int(page.get("totalResults") or 0)
            start += len(resources)
            if not resources or start > total:
                return found

    # -- people -------------------------------------------------------------------------

    def _find_user(self, person) -> str | None:
        users = self._search(
            "Users",
            filter=f"userName eq {_quoted(person.username)}",
            doing=f"the look-up of {person.username}",
        )
        for user in users:
            # Servers compare userName without case (RFC 7643 §4.1.1); so does opsdesk.
            if str(user.get("userName", "")).casefold() == person.username.casefold():
                return user["id"]
        return None

    def _ensure_user(self, person) -> str:
        found = self._find_user(person)
        if found:
            return found
        body = {
            "schemas": [USER_SCHEMA],
            "userName": person.username,
            "displayName": str(person),
            "name": {
                "givenName": person.first_name,
                "familyName": person.last_name,
                "formatted": person.get_full_name() or person.username,
            },
            "active": True,
        }
        if person.email:
            body["emails"] = [{"value": person.email, "type": "work", "primary": True}]
        created = self._request(
            "POST", "/Users", json=body, doing=f"the creation of {person.username}"
        )
        if not created or "id" not in created:
            raise ConnectorError(
                f"SCIM at {self.url} created {person.username} without telling its id"
            )
        return created["id"]

    def _usernames(self, user_ids) -> frozenset[str]:
        return frozenset(self._user_names_by_id(user_ids).values())

    @staticmethod
    def _member_ids(group: dict) -> list[str]:
        # Nested groups are members too; only people are held through a grant.
        return [
            member["value"]
            for member in group.get("members") or []
            if member.get("value") and (member.get("type") or "User") == "User"
        ]

    # -- writes -------------------------------------------------------------------------

    def _patch_group(self, group: str, operation: dict, *, doing: str, ok_scim_types=()) -> None:
        self._request(
            "PATCH",
            f"/Groups/{group}",
            json={"schemas": [PATCH_OP], "Operations": [operation]},
            doing=doing,
            ok_scim_types=ok_scim_types,
        )

    def add_member(self, *, group: str, person) -> None:
        user_id = self._ensure_user(person)
        # RFC 7644 §3.5.2.1: adding a value a multi-valued attribute already has changes
        # nothing, so a retried step is harmless.
        self._patch_group(
            group,
            {"op": "add", "path": "members", "value": [{"value": user_id}]},
            doing=f"adding {person.username} to group {group}",
        )

    def remove_member(self, *, group: str, person) -> None:
        user_id = self._find_user(person)
        if user_id is None:
            return  # no account: not a member
        self._patch_group(
            group,
            {"op": "remove", "path": f"members[value eq {_quoted(user_id)}]"},
            doing=f"removing {person.username} from group {group}",
            # noTarget: the filter matched no member, i.e. they were not in the group.
            ok_scim_types={"noTarget"},
        )

    def disable_account(self, *, person) -> None:
        user_id = self._find_user(person)
        if user_id is None:
            return  # no account there: nothing to disable
        self._request(
            "PATCH",
            f"/Users/{user_id}",
            json={
                "schemas": [PATCH_OP],
                "Operations": [{"op": "replace", "path": "active", "value": False}],
            },
            doing=f"disabling {person.username}",
        )

    # -- reads --------------------------------------------------------------------------

    def members(self, *, group: str) -> frozenset[str]:
        found = self._request(
            "GET",
            f"/Groups/{group}",
            params={"attributes": "members"},
            doing=f"reading group {group}",
        )
        return self._usernames(self._member_ids(found or {}))

    def groups(self) -> list[ExternalGroup]:
        found = self._search("Groups", doing="the list of groups")
        ids = {group["id"]: self._member_ids(group) for group in found}
        everyone = {user_id for members in ids.values() for user_id in members}
        names = self._user_names_by_id(everyone)
        return sorted(
            (
                ExternalGroup(
                    id=group["id"],
                    name=group.get("displayName") or group["id"],
                    members=frozenset(names[i] for i in ids[group["id"]] if i in names),
                )
                for group in found
            ),
            key=lambda group: group.name.lower(),
        )

    def _user_names_by_id(self, user_ids) -> dict[str, str]:
        ids = sorted(set(user_ids))
        names: dict[str, str] = {}
        for start in range(0, len(ids), IDS_PER_SEARCH):
            chunk = ids[start : start + IDS_PER_SEARCH]
            for user in self._search(
                "Users",
                filter=" or ".join(f"id eq {_quoted(i)}" for i in chunk),
                doing="the look-up of the groups' members",
            ):
                if user.get("userName"):
                    names[user["id"]] = user["userName"]
        return names
