"""NetBox-style API base suite: declare a record type, inherit its CRUD and permission tests.

    class TestTeamAPI(APICrudSuite):
        basename = "team"
        factory = TeamFactory
        create_data = {"name": "Network", "type": "technical"}
        update_data = {"description": "Routers and switches"}
        reader_roles = [Role.AGENT]
        writer_roles = [Role.ADMINISTRATOR]
        outsider_roles = [Role.REQUESTER]

Every test runs against the real URLconf, serializers, services and database.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from opsdesk.core.models import AuditEntry
from opsdesk.core.testing.factories import UserFactory


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_error_shape(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "fields"} <= set(body["error"]), body
    assert body["error"]["message"]
    if field is not None:
        assert field in body["error"]["fields"], body
    return body["error"]


@pytest.mark.django_db
class APICrudSuite:
    basename: str = ""
    namespace: str = ""  # e.g. "cmdb" when the app's router is included with a namespace
    factory = None
    create_data: dict = {}
    update_data: dict = {}
    invalid_data: dict = {}  # a create body with a bad field; key names that field
    reader_roles: list = []
    writer_roles: list = []
    outsider_roles: list = []  # may not read the list at all (403) or see nothing in it
    supports_delete = False

    # --- helpers -------------------------------------------------------------------------
    def url(self, name: str, **kwargs) -> str:
        prefix = f"{self.namespace}:" if self.namespace else ""
        return reverse(f"{prefix}{self.basename}-{name}", kwargs=kwargs or None)

    def user_with(self, roles):
        return UserFactory(roles=roles)

    def make(self):
        return self.factory()

    def create_body(self) -> dict:
        return dict(self.create_data)

    # --- tests ---------------------------------------------------------------------------
    def test_anonymous_is_refused(self):
        response = APIClient().get(self.url("list"))
        assert_error_shape(response, 401)

    def test_reader_lists_and_reads(self):
        obj = self.make()
        for role in self.reader_roles:
            client = client_for(self.user_with([role]))
            listing = client.get(self.url("list"))
            assert listing.status_code == 200, (role, listing.content)
            assert obj.pk in [row["id"] for row in listing.json()["results"]], role
            detail = client.get(self.url("detail", pk=obj.pk))
            assert detail.status_code == 200, (role, detail.content)

    def test_outsider_cannot_see(self):
        obj = self.make()
        for role in self.outsider_roles:
            client = client_for(self.user_with([role]))
            listing = client.get(self.url("list"))
            if listing.status_code == 200:
                assert obj.pk not in [row["id"] for row in listing.json()["results"]], role
            else:
                assert_error_shape(listing, 403)
            detail = client.get(self.url("detail", pk=obj.pk))
            assert detail.status_code in (403, 404), role

    def test_writer_creates_and_it_is_audited(self):
        client = client_for(self.user_with(self.writer_roles[:1]))
        response = client.post(self.url("list"), self.create_body(), format="json")
        assert response.status_code == 201, response.content
        created_id = response.json()["id"]
        assert AuditEntry.objects.filter(object_id=str(created_id)).exists()

    def test_non_writers_cannot_create(self):
        for role in [*self.reader_roles, *self.outsider_roles]:
            if role in self.writer_roles:
                continue
            client = client_for(self.user_with([role]))
            response = client.post(self.url("list"), self.create_body(), format="json")
            assert response.status_code in (403, 404), (role, response.content)

    def test_bad_input_gets_field_errors(self):
        if not self.invalid_data:
            pytest.skip("no invalid_data declared")
        client = client_for(self.user_with(self.writer_roles[:1]))
        body = {**self.create_body(), **self.invalid_data}
        before = AuditEntry.objects.count()
        response = client.post(self.url("list"), body, format="json")
        assert_error_shape(response, 400, field=next(iter(self.invalid_data)))
        assert AuditEntry.objects.count() == before  # nothing half-written

    def test_writer_updates_and_version_moves(self):
        obj = self.make()
        client = client_for(self.user_with(self.writer_roles[:1]))
        response = client.patch(
            self.url("detail", pk=obj.pk),
            {**self.update_data, "version": obj.version},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert response.json()["version"] == obj.version + 1
        for key, value in self.update_data.items():
            assert response.json()[key] == value

    def test_stale_version_is_refused_with_409(self):
        obj = self.make()
        client = client_for(self.user_with(self.writer_roles[:1]))
        first = client.patch(
            self.url("detail", pk=obj.pk),
            {**self.update_data, "version": obj.version},
            format="json",
        )
        assert first.status_code == 200
        stale = client.patch(
            self.url("detail", pk=obj.pk),
            {**self.update_data, "version": obj.version},
            format="json",
        )
        assert_error_shape(stale, 409)

    def test_filters_all_answer(self):
        """Every declared filter is accepted (a typo in a filterset would 500 or be ignored)."""
        self.make()
        client = client_for(self.user_with(self.reader_roles[:1]))
        view = self._viewset()
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is None:
            pytest.skip("no filterset")
        for name in filterset_class.base_filters:
            response = client.get(self.url("list"), {name: ""})
            assert response.status_code == 200, (name, response.content)

    def test_is_in_the_openapi_schema(self):
        client = client_for(self.user_with(self.reader_roles[:1]))
        schema = client.get(reverse("schema"), {"format": "json"})
        assert schema.status_code == 200
        assert self.url("list") in schema.json()["paths"]

    def _viewset(self):
        from django.urls import resolve

        return resolve(self.url("list")).func.cls
