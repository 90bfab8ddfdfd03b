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

from datetime import datetime, timedelta

import django_filters
import pytest
from django.db import models
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
    # Flags for what a record type is, so inherited tests check it instead of being skipped:
    versioned = True  # False: configuration rows without optimistic locking (last write wins)
    editable = True  # False: created and removed, never edited (PATCH and PUT are refused)
    # Roles that may create for themselves though they are not writers (requesters report
    # incidents); the suite's refusal test leaves them to the record type's own tests.
    self_service_roles: list = []

    # --- helpers -------------------------------------------------------------------------
    def url(self, name: str, **kwargs) -> str:
        prefix = f"{self.namespace}:" if self.namespace else ""
        return reverse(f"{prefix}{self.basename}-{name}", kwargs=kwargs or None)

    def user_with(self, roles):
        return UserFactory(roles=roles)

    def make(self):
        return self.factory()

    def make_for_filters(self):
        """A record with every filtered relation set; suites fill in what the factory leaves
        empty, so each filter has a value to keep and one to drop."""
        return self.make()

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
            if role in self.writer_roles or role in self.self_service_roles:
                continue
            client = client_for(self.user_with([role]))
            response = client.post(self.url("list"), self.create_body(), format="json")
            assert response.status_code in (403, 404), (role, response.content)

    def test_bad_input_gets_field_errors(self):
        assert self.invalid_data, "declare invalid_data: a create body field with a bad value"
        client = client_for(self.user_with(self.writer_roles[:1]))
        body = {**self.create_body(), **self.invalid_data}
        before = AuditEntry.objects.count()
        response = client.post(self.url("list"), body, format="json")
        assert_error_shape(response, 400, field=next(iter(self.invalid_data)))
        assert AuditEntry.objects.count() == before  # nothing half-written

    def test_writer_updates_and_version_moves(self):
        obj = self.make()
        client = client_for(self.user_with(self.writer_roles[:1]))
        if not self.editable:
            refused = client.patch(self.url("detail", pk=obj.pk), self.update_data, format="json")
            assert_error_shape(refused, 405)
            return
        body = {**self.update_data, "version": obj.version} if self.versioned else self.update_data
        response = client.patch(self.url("detail", pk=obj.pk), body, format="json")
        assert response.status_code == 200, response.content
        if self.versioned:
            assert response.json()["version"] == obj.version + 1
        else:
            assert "version" not in response.json()
        for key, value in self.update_data.items():
            assert response.json()[key] == value

    def test_stale_version_is_refused_with_409(self):
        obj = self.make()
        client = client_for(self.user_with(self.writer_roles[:1]))
        if not self.editable:
            refused = client.put(self.url("detail", pk=obj.pk), self.create_body(), format="json")
            assert_error_shape(refused, 405)
            return
        if not self.versioned:
            # Without a version the later of two edits wins, and both are answered 200.
            for _ in range(2):
                again = client.patch(self.url("detail", pk=obj.pk), self.update_data, format="json")
                assert again.status_code == 200, again.content
            return
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

    def test_every_filter_narrows(self):
        """Each declared filter, sent a value the record has, keeps it; sent one it has not,
        drops it. An ignored filter (a typo, a value django-filter skips) fails the second."""
        obj = self.make_for_filters()
        client = client_for(self.user_with(self.reader_roles[:1]))
        view = self._viewset()
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is None and getattr(view, "filterset_fields", None):
            filterset_class = _filterset_of(view)
        if not filterset_class:
            return  # nothing to filter on
        for name, declared in filterset_class.base_filters.items():
            hit, miss = self._filter_case(name, declared, obj)
            for value, kept in ((hit, True), (miss, False)):
                response = client.get(self.url("list"), {name: value, "page_size": 500})
                assert response.status_code == 200, (name, value, response.content)
                ids = [row["id"] for row in response.json()["results"]]
                assert (obj.pk in ids) is kept, (name, value, "kept" if kept else "dropped")

    filter_cases: dict = {}  # name -> (hit, miss), or a callable of the record giving them

    def _filter_case(self, name, declared, obj):
        if name in self.filter_cases:
            case = self.filter_cases[name]
            return case(obj) if callable(case) else case
        case = _derived_filter_case(declared, obj)
        if case is None:
            pytest.fail(
                f"Filter {name!r}: the record made by the suite gives no value to send; "
                f"declare filter_cases[{name!r}] = (a value it has, a value it has not)."
            )
        return case

    def test_is_in_the_openapi_schema(self):
        client = client_for(self.user_with(self.reader_roles[:1]))
        schema = client.get(reverse("schema"), {"format": "json"})
        assert schema.status_code == 200
        assert self.url("list") in schema.json()["paths"]

    def _viewset(self):
        from django.urls import resolve

        return resolve(self.url("list")).func.cls


def _filterset_of(view):
    from django_filters.rest_framework import DjangoFilterBackend

    return DjangoFilterBackend().get_filterset_class(view, view.queryset)


def _wire(value) -> str:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _path_value(obj, path: str):
    value = obj
    for part in path.split("__"):
        if value is None:
            return None
        value = getattr(value, part)
        if isinstance(value, models.Manager):  # many-to-many or reverse: any related row
            value = value.first()
    return value


def _derived_filter_case(declared, obj):
    """(hit, miss) for a plain field filter, from the record itself; None when it cannot tell."""
    if getattr(declared, "method", None):
        return None
    value = _path_value(obj, declared.field_name)
    lookup = declared.lookup_expr
    if lookup == "isnull":
        return ("true", "false") if value is None else ("false", "true")
    if isinstance(declared, django_filters.BooleanFilter):
        return _wire(bool(value)), _wire(not value)
    if value is None or value == "":
        return None
    if lookup in ("gte", "gt"):
        return _wire(value - timedelta(seconds=1)), _wire(value + timedelta(days=1))
    if lookup in ("lt", "lte"):
        return _wire(value + timedelta(days=1)), _wire(value - timedelta(seconds=1))
    if lookup == "icontains":
        return str(value)[1:-1] or str(value), f"{value}-matches-nothing"
    if isinstance(
        declared, django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter
    ):
        queryset = declared.queryset
        queryset = queryset(None) if callable(queryset) else queryset
        other = queryset.exclude(pk=value.pk).first() if queryset is not None else None
        return (_wire(value), _wire(other)) if other is not None else None
    choices = getattr(declared, "extra", {}).get("choices")
    if choices:
        others = [key for key, _ in choices if key not in ("", value)]
        return (_wire(value), _wire(others[0])) if others else None
    if isinstance(value, models.Model):
        return _wire(value), str(value.pk + 10**6)
    if isinstance(value, int):
        return _wire(value), _wire(value + 10**6)
    return _wire(value), f"{value}-matches-nothing"
