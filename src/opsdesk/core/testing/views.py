"""NetBox-style UI base suite: declare a record type's pages, inherit their tests.

    class TestTeamPages(ViewCrudSuite):
        list_url = "core:team-list"
        detail_url = "core:team-detail"
        create_url = "core:team-create"
        edit_url = "core:team-edit"
        factory = TeamFactory
        create_data = {"name": "Network", "type": "technical"}
        created_lookup = {"name": "Network"}
        invalid_data = {"type": "no-such-type"}
        edit_changes = {"description": "Routers and switches"}
        reader_roles = [Role.AGENT]
        writer_roles = [Role.ADMINISTRATOR]
        outsider_roles = [Role.REQUESTER]

The pages are driven through the real URLconf, forms, services and database, the way a
browser would: GET the form, POST it back, follow what the user would see.
"""

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from opsdesk.core.models import AuditEntry
from opsdesk.core.testing.factories import UserFactory


def browser_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_post_data(form) -> dict:
    """What a browser would send back for ``form`` as the page shows it."""
    data = {}
    for field in form:
        value = field.field.prepare_value(field.value())
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        if isinstance(value, list | tuple):
            value = [str(v) for v in value]
        data[field.html_name] = value
    return data


def form_errors(response) -> dict:
    form = response.context["form"]
    return {name: list(errors) for name, errors in form.errors.items()}


@pytest.mark.django_db
class ViewCrudSuite:
    list_url = ""
    detail_url = ""
    create_url = ""  # empty when the record is not created from the UI
    edit_url = ""
    factory = None
    create_data: dict = {}
    created_lookup: dict = {}  # finds the record create_data made
    invalid_data: dict = {}  # merged into create_data; its first key must get an error
    edit_changes: dict = {}  # field values to change; each is read back from the record
    reader_roles: list = []
    writer_roles: list = []
    outsider_roles: list = []  # get 403 on every page

    # --- helpers -------------------------------------------------------------------------
    def url(self, name: str, obj=None) -> str:
        return reverse(name, kwargs={"pk": obj.pk} if obj is not None else None)

    def user_with(self, roles):
        return UserFactory(roles=roles)

    def make(self):
        return self.factory()

    def model(self):
        return self.factory._meta.model

    def create_body(self) -> dict:
        return dict(self.create_data)

    def reader(self):
        return browser_for(self.user_with(self.reader_roles[:1]))

    def writer(self):
        return browser_for(self.user_with(self.writer_roles[:1]))

    def edit_body(self, client, obj) -> dict:
        page = client.get(self.url(self.edit_url, obj))
        assert page.status_code == 200, page.content
        return {**form_post_data(page.context["form"]), **self.edit_changes}

    # --- tests ---------------------------------------------------------------------------
    def test_anonymous_is_sent_to_sign_in(self):
        obj = self.make()
        login = reverse("core:login")
        for url in [self.url(self.list_url), self.url(self.detail_url, obj)]:
            response = Client().get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(f"{login}?next="), url

    def test_reader_sees_the_list_and_the_record(self):
        obj = self.make()
        for role in self.reader_roles:
            client = browser_for(self.user_with([role]))
            listing = client.get(self.url(self.list_url))
            assert listing.status_code == 200, role
            assert obj in listing.context["page_obj"].object_list, role
            assert escape(str(obj)) in listing.content.decode(), role
            detail = client.get(self.url(self.detail_url, obj))
            assert detail.status_code == 200, role
            assert escape(str(obj)) in detail.content.decode(), role

    def test_list_paginates(self):
        client = self.reader()
        per_page = client.get(self.url(self.list_url)).context["page_obj"].paginator.per_page
        for _ in range(per_page + 1):
            self.make()
        first = client.get(self.url(self.list_url))
        assert first.context["page_obj"].paginator.num_pages >= 2
        assert 'rel="next"' in first.content.decode()
        second = client.get(self.url(self.list_url), {"page": 2})
        assert second.status_code == 200
        assert second.context["page_obj"].number == 2

    def test_htmx_filter_answers_with_the_rows_only(self):
        obj = self.make()
        response = self.reader().get(
            self.url(self.list_url), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert "<html" not in body and escape(str(obj)) in body

    def test_outsider_is_refused(self):
        obj = self.make()
        for role in self.outsider_roles:
            client = browser_for(self.user_with([role]))
            urls = [self.url(self.list_url), self.url(self.detail_url, obj)]
            if self.create_url:
                urls.append(self.url(self.create_url))
            if self.edit_url:
                urls.append(self.url(self.edit_url, obj))
            for url in urls:
                assert client.get(url).status_code == 403, (role, url)

    def test_readers_cannot_write(self):
        obj = self.make()
        readers = [r for r in self.reader_roles if r not in self.writer_roles]
        for role in readers:
            client = browser_for(self.user_with([role]))
            detail = client.get(self.url(self.detail_url, obj))
            if self.edit_url:
                assert self.url(self.edit_url, obj) not in detail.content.decode(), role
                assert client.get(self.url(self.edit_url, obj)).status_code == 403, role
                assert client.post(self.url(self.edit_url, obj), {}).status_code == 403, role
            if self.create_url:
                before = self.model().objects.count()
                response = client.post(self.url(self.create_url), self.create_body())
                assert response.status_code == 403, role
                assert self.model().objects.count() == before, role

    def test_writer_creates_and_it_is_audited(self):
        if not self.create_url:
            pytest.skip("not created from the UI")
        client = self.writer()
        assert client.get(self.url(self.create_url)).status_code == 200
        response = client.post(self.url(self.create_url), self.create_body())
        assert response.status_code == 302, form_errors(response)
        created = self.model().objects.get(**self.created_lookup)
        assert response["Location"] == self.url(self.detail_url, created)
        assert AuditEntry.objects.filter(
            object_type=created._meta.label_lower, object_id=str(created.pk)
        ).exists()
        page = client.get(response["Location"])
        assert "is added" in page.content.decode()  # the flash message

    def test_bad_input_shows_form_errors_and_writes_nothing(self):
        if not self.create_url or not self.invalid_data:
            pytest.skip("no invalid_data declared")
        client = self.writer()
        rows, audits = self.model().objects.count(), AuditEntry.objects.count()
        response = client.post(
            self.url(self.create_url), {**self.create_body(), **self.invalid_data}
        )
        assert response.status_code == 200
        assert next(iter(self.invalid_data)) in form_errors(response)
        assert 'class="errorlist' in response.content.decode()
        assert self.model().objects.count() == rows
        assert AuditEntry.objects.count() == audits

    def test_writer_edits_and_version_moves(self):
        if not self.edit_url:
            pytest.skip("not edited from the UI")
        obj = self.make()
        client = self.writer()
        response = client.post(self.url(self.edit_url, obj), self.edit_body(client, obj))
        assert response.status_code == 302, form_errors(response)
        assert response["Location"] == self.url(self.detail_url, obj)
        fresh = self.model().objects.get(pk=obj.pk)
        assert fresh.version == obj.version + 1
        for name, value in self.edit_changes.items():
            assert str(getattr(fresh, name)) == str(value), name

    def test_stale_edit_is_refused_without_overwriting(self):
        if not self.edit_url:
            pytest.skip("not edited from the UI")
        obj = self.make()
        client = self.writer()
        body = self.edit_body(client, obj)
        # Someone else saves while this form is open.
        self.model().objects.filter(pk=obj.pk).update(version=F("version") + 1)
        response = client.post(self.url(self.edit_url, obj), body)
        assert response.status_code == 200
        errors = response.context["form"].non_field_errors()
        assert any("changed by someone else" in e for e in errors), errors
        fresh = self.model().objects.get(pk=obj.pk)
        for name, value in self.edit_changes.items():
            assert str(getattr(fresh, name)) != str(value), name
