"""SCIM 2.0 (RFC 7643/7644) group membership and account state, for Okta, authentik, Entra
ID's provisioning API and anything else that speaks it.

The target's ``url`` is the SCIM base (``https://idp.example.com/scim/v2``) and its ``secret``
the bearer token. A group is named by its SCIM ``id``. A person is found by
``userName eq "<opsdesk username>"`` and created (active, with name and work e-mail) the first
time they are added to a group. Membership is changed with PATCH (RFC 7644 §3.5.2), so the
other members are never rewritten; a provider that answers PATCH with 501 Not Implemented gets
the whole group or user back with PUT instead, guarded by its ETag when it has one. Disabling
an account sets ``active`` to false.

Written on httpx rather than a SCIM client library: a handful of requests are all it takes,
and owning them lets every refusal carry the server's own ``detail`` and tolerate the small
deviations of real identity providers from the schemas.
"""

from urllib.parse import quote

import httpx

from opsdesk.access.connectors import TIMEOUT_SECONDS, ConnectorError, ExternalGroup

SCIM_JSON = "application/scim+json"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PAGE_SIZE = 100
# Members are resolved to usernames this many ids per filtered search.
IDS_PER_SEARCH = 50
# Read-only attributes a PUT must not send back (RFC 7643 §3.1, §4.1.2).
READ_ONLY = ("id", "meta", "groups")


class ScimRefused(ConnectorError):
    """The server answered with an error: its HTTP status and RFC 7644 ``scimType``."""

    def __init__(self, message: str, *, status: int, scim_type: str = ""):
        super().__init__(message)
        self.status = status
        self.scim_type = scim_type


def _json_or_empty(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _quoted(value: str) -> str:
    """A SCIM filter string literal (RFC 7644 §3.4.2.2 uses JSON string rules)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _path(resource: str, resource_id: str) -> str:
    return f"/{resource}/{quote(resource_id, safe='')}"


class ScimConnector:
    def __init__(self, target):
        self.target = target
        self.url = target.url.rstrip("/")
        # One HTTP client (its connections and TLS session) for every request this connector
        # sends: a leaver's hundred removals reuse it instead of connecting a hundred times.
        self._http: httpx.Client | None = None
        self._user_ids: dict[str, str] = {}

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    # -- the HTTP exchange --------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, doing: str, headers=None, **kwargs
    ) -> dict | None:
        """Send one request; a 2xx answer's JSON (None when empty), else ConnectorError."""
        headers = {"Accept": SCIM_JSON, **(headers or {})}
        if self.target.secret:
            headers["Authorization"] = f"Bearer {self.target.secret}"
        if "json" in kwargs:
            headers["Content-Type"] = SCIM_JSON
        try:
            if self._http is None:
                self._http = httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
            response = self._http.request(method, self.url + path, headers=headers, **kwargs)
        except httpx.TimeoutException as error:
            raise ConnectorError(
                f"SCIM at {self.url} did not answer within {TIMEOUT_SECONDS} s"
            ) from error
        except (httpx.HTTPError, ValueError) as error:
            raise ConnectorError(f"SCIM at {self.url} did not answer: {error}") from error
        if not response.is_success:
            # RFC 7644 §3.12: an error body says what kind (scimType) and why (detail).
            body = _json_or_empty(response)
            scim_type = str(body.get("scimType") or "")
            reason = " ".join(
                str(part)
                for part in (f"HTTP {response.status_code}", scim_type, body.get("detail"))
                if part
            )
            raise ScimRefused(
                f"SCIM at {self.url} refused {doing}: {reason}",
                status=response.status_code,
                scim_type=scim_type,
            )
        if not response.content:
            return None
        try:
            found = response.json()
        except ValueError as error:
            raise ConnectorError(
                f"SCIM at {self.url} answered {doing} with something that is not JSON"
            ) from error
        if isinstance(found, dict) and "ETag" in response.headers:
            found.setdefault("meta", {}).setdefault("version", response.headers["ETag"])
        return found

    def _search(self, resource: str, *, filter: str | None = None, doing: str) -> list[dict]:
        """Every resource a search finds, page by page."""
        found: list[dict] = []
        start = 1
        while True:
            params: dict = {"startIndex": start, "count": PAGE_SIZE}
            if filter:
                params["filter"] = filter
            page = self._request("GET", f"/{resource}", params=params, doing=doing) or {}
            resources = page.get("Resources") or []
            found.extend(resources)
            total = int(page.get("totalResults") or 0)
            start += len(resources)
            if not resources or start > total:
                return found

    def _patch(self, resource: str, resource_id: str, operation: dict, *, doing: str, change):
        """PATCH one operation; when the provider does not implement PATCH (501), read the
        resource, apply ``change`` to it and PUT it back, refused if changed meanwhile."""
        path = _path(resource, resource_id)
        try:
            self._request(
                "PATCH",
                path,
                json={"schemas": [PATCH_OP], "Operations": [operation]},
                doing=doing,
            )
            return
        except ScimRefused as refused:
            if refused.status != 501:
                raise
        current = self._request("GET", path, doing=doing) or {}
        body = {key: value for key, value in current.items() if key not in READ_ONLY}
        if not change(body):
            return  # already as wanted
        version = (current.get("meta") or {}).get("version")
        self._request(
            "PUT",
            path,
            json=body,
            doing=doing,
            # If-Match: a change someone else made since the read is not overwritten; the
            # worker's retry reads again.
            headers={"If-Match": version} if version else None,
        )

    # -- people -------------------------------------------------------------------------

    def _find_user(self, person) -> str | None:
        known = self._user_ids.get(person.username.casefold())
        if known:
            return known
        users = self._search(
            "Users",
            filter=f"userName eq {_quoted(person.username)}",
            doing=f"the look-up of {person.username}",
        )
        for user in users:
            # Servers compare userName without case (RFC 7643 §4.1.1); so does opsdesk.
            if str(user.get("userName", "")).casefold() == person.username.casefold():
                self._user_ids[person.username.casefold()] = user["id"]
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
                "formatted": person.get_full_name() or str(person),
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

    def _user_names_by_id(self, user_ids) -> dict[str, str]:
        ids = sorted(set(user_ids))
        names: dict[str, str] = {}
        for start in range(0, len(ids), IDS_PER_SEARCH):
            chunk = ids[start : start + IDS_PER_SEARCH]
            for user in self._search(
                "Users",
                filter=" or ".join(f"id eq {_quoted(i)}" for i in chunk),
                doing="the look-up of group members",
            ):
                if user.get("userName"):
                    names[user["id"]] = user["userName"]
        return names

    @staticmethod
    def _member_ids(group: dict) -> list[str]:
        # Nested groups are members too; only people are held through a grant.
        return [
            member["value"]
            for member in group.get("members") or []
            if member.get("value") and (member.get("type") or "User") == "User"
        ]

    # -- writes -------------------------------------------------------------------------

    def add_member(self, *, group: str, person) -> None:
        user_id = self._ensure_user(person)

        def add(body: dict) -> bool:
            members = body.setdefault("members", [])
            if any(member.get("value") == user_id for member in members):
                return False
            members.append({"value": user_id})
            return True

        # RFC 7644 §3.5.2.1: adding a value a multi-valued attribute already has changes
        # nothing, so a retried step is harmless.
        self._patch(
            "Groups",
            group,
            {"op": "add", "path": "members", "value": [{"value": user_id}]},
            doing=f"adding {person.username} to group {group}",
            change=add,
        )

    def remove_member(self, *, group: str, person) -> None:
        user_id = self._find_user(person)
        if user_id is None:
            return  # no account: not a member

        def remove(body: dict) -> bool:
            members = body.get("members") or []
            kept = [member for member in members if member.get("value") != user_id]
            body["members"] = kept
            return len(kept) != len(members)

        try:
            self._patch(
                "Groups",
                group,
                {"op": "remove", "path": f"members[value eq {_quoted(user_id)}]"},
                doing=f"removing {person.username} from group {group}",
                change=remove,
            )
        except ScimRefused as refused:
            # noTarget: the filter matched no member, i.e. they were not in the group.
            if refused.scim_type != "noTarget":
                raise

    def disable_account(self, *, person) -> None:
        user_id = self._find_user(person)
        if user_id is None:
            return  # no account there: nothing to disable

        def deactivate(body: dict) -> bool:
            changed = body.get("active") is not False
            body["active"] = False
            return changed

        self._patch(
            "Users",
            user_id,
            {"op": "replace", "path": "active", "value": False},
            doing=f"disabling {person.username}",
            change=deactivate,
        )

    # -- reads --------------------------------------------------------------------------

    def members(self, *, group: str) -> frozenset[str]:
        found = self._request(
            "GET",
            _path("Groups", group),
            params={"attributes": "members"},
            doing=f"reading group {group}",
        )
        return frozenset(self._user_names_by_id(self._member_ids(found or {})).values())

    def groups(self) -> list[ExternalGroup]:
        found = self._search("Groups", doing="the list of groups")
        member_ids = {group["id"]: self._member_ids(group) for group in found}
        names = self._user_names_by_id(i for ids in member_ids.values() for i in ids)
        return sorted(
            (
                ExternalGroup(
                    id=group["id"],
                    name=group.get("displayName") or group["id"],
                    members=frozenset(names[i] for i in member_ids[group["id"]] if i in names),
                )
                for group in found
            ),
            key=lambda group: group.name.lower(),
        )
