"""Forms kept as rows: saving a form (audited, versioned, refused when unsound), answers stored
typed and read back, and people, CIs and services resolved to real rows."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from opsdesk.core.errors import NotPermitted, StaleVersion
from opsdesk.core.formschema import (
    SchemaInvalid,
    answer_values,
    answers_of,
    answers_save,
    form_schema_save,
    schema_fields,
    validate,
)
from opsdesk.core.models import Attachment, AuditEntry, FormAnswer, FormSchema
from opsdesk.core.testing.factories import UserFactory, admin, agent, requester
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.registry import ticket_type
from tests.cmdb.factories import CIFactory, business_service

pytestmark = pytest.mark.django_db

LAPTOP_FORM = [
    {
        "key": "category",
        "label": "What do you need?",
        "type": "single_choice",
        "required": True,
        "choices": [
            {"value": "laptop", "label": "A laptop"},
            {"value": "phone", "label": "A phone"},
        ],
    },
    {"key": "model", "label": "Model", "type": "text", "visible_if": "category == 'laptop'"},
    {"key": "cost", "label": "Cost", "type": "number"},
    {"key": "needed_by", "label": "Needed by", "type": "date"},
    {
        "key": "extras",
        "label": "Extras",
        "type": "multiple_choice",
        "choices": [
            {"value": "bag", "label": "Carry bag"},
            {"value": "dock", "label": "Docking station"},
        ],
    },
    {"key": "urgent", "label": "Urgent", "type": "checkbox"},
    {"key": "manager", "label": "Approving manager", "type": "person"},
    {"key": "server", "label": "Server", "type": "ci"},
    {"key": "service", "label": "Service", "type": "service"},
    {"key": "notes", "label": "Notes", "type": "long_text"},
]


def work_order(actor):
    caller = requester()
    values = {"short_description": "New starter kit", "caller": caller}
    return tickets.ticket_create(ticket_type("work_order"), actor=actor, values=values)


def save_form(actor, **overrides):
    values = {"name": "Laptop request", "slug": "laptop", "fields": LAPTOP_FORM, **overrides}
    return form_schema_save(actor=actor, **values)


def test_answers_are_stored_typed_and_read_back_as_shown(attachment_dir):
    boss = admin()
    manager = UserFactory(display_name="Mia Manager", email="mia@example.com")
    server = CIFactory(name="erp-db-01")
    service = business_service("Payroll")
    schema = save_form(boss)
    order = work_order(boss)
    raw = {
        "category": "laptop",
        "model": "ThinkPad X1",
        "cost": "1499.90",
        "needed_by": "2026-02-01",
        "extras": ["dock", "bag"],
        "urgent": "on",
        "manager": "Mia Manager <mia@example.com>",
        "server": "erp-db-01",
        "service": f"Payroll <#{service.pk}>",
        "notes": "",
    }
    cleaned, errors = validate(schema, raw, user=boss)
    assert errors == {}
    with transaction.atomic():
        answers_save(record=order, schema=schema, cleaned=cleaned, actor=boss)

    assert answers_of(order) == [
        ("What do you need?", "A laptop"),
        ("Model", "ThinkPad X1"),
        ("Cost", "1499.9"),
        ("Needed by", "1 Feb 2026"),
        ("Extras", "Docking station, Carry bag"),
        ("Urgent", "Yes"),
        ("Approving manager", "Mia Manager"),
        ("Server", "erp-db-01"),
        ("Service", "Payroll"),
    ]
    assert answer_values(order) == {
        "category": "laptop",
        "model": "ThinkPad X1",
        "cost": Decimal("1499.9"),
        "needed_by": date(2026, 2, 1),
        "extras": ["dock", "bag"],
        "urgent": True,
        "manager": manager.pk,
        "server": server.pk,
        "service": service.pk,
    }
    # Queryable by key and value, on either database.
    record_type = ContentType.objects.get_for_model(order)
    assert FormAnswer.objects.filter(
        field_key="category", value_text="laptop", content_type=record_type
    ).values_list("object_id", flat=True)[::1] == [str(order.pk)]
    assert FormAnswer.objects.filter(field_key="cost", value_number__gt=1000).count() == 1
    entry = AuditEntry.objects.filter(action="form.answers_saved").get()
    assert entry.changes["answers"]["to"]["category"] == "A laptop"


def test_saving_again_replaces_the_answers():
    boss = admin()
    schema = save_form(boss)
    order = work_order(boss)
    with transaction.atomic():
        answers_save(
            record=order,
            schema=schema,
            cleaned=validate(schema, {"category": "laptop", "model": "X1"})[0],
            actor=boss,
        )
        answers_save(
            record=order,
            schema=schema,
            cleaned=validate(schema, {"category": "phone", "model": "X1"})[0],
            actor=boss,
        )
    assert answer_values(order) == {"category": "phone", "urgent": False}


def test_an_uploaded_file_becomes_the_records_attachment(attachment_dir):
    boss = admin()
    fields = [{"key": "quote", "label": "Supplier quote", "type": "attachment", "required": True}]
    order = work_order(boss)
    upload = SimpleUploadedFile("quote.txt", b"one laptop, 1499.90")
    cleaned, errors = validate(fields, {}, files={"quote": upload})
    assert errors == {}
    with transaction.atomic():
        answers_save(record=order, schema=fields, cleaned=cleaned, actor=boss)
    attachment = Attachment.objects.get()
    assert answer_values(order) == {"quote": attachment.pk}
    assert answers_of(order) == [("Supplier quote", "quote.txt")]
    assert validate(fields, {})[1] == {"quote": ["This field is required."]}


def test_people_cis_and_services_resolve_to_rows_the_viewer_may_choose():
    fields = [
        {"key": "manager", "label": "Manager", "type": "person"},
        {"key": "server", "label": "Server", "type": "ci"},
        {"key": "service", "label": "Service", "type": "service"},
    ]
    gone = UserFactory(email="gone@example.com", is_active=False)
    server = CIFactory(name="erp-db-01")
    business_service("Payroll")
    asker = requester()
    _, errors = validate(
        fields,
        {"manager": gone.email, "server": f"erp-db-01 <#{server.pk}>", "service": "Mail"},
        user=asker,
    )
    assert errors == {
        "manager": ["No one here has this e-mail or username: gone@example.com."],
        # A requester sees business services only, not servers.
        "server": [f"There is nothing you may choose called erp-db-01 <#{server.pk}>."],
        "service": ["There is nothing you may choose called Mail."],
    }
    cleaned, errors = validate(fields, {"server": "ERP-DB-01", "service": "payroll"}, user=agent())
    assert errors == {}
    assert cleaned["server"] == server and cleaned["service"].name == "Payroll"


def test_a_form_save_is_audited_and_versioned():
    boss = admin()
    schema = save_form(boss)
    assert schema.version == 1
    changed = form_schema_save(
        actor=boss,
        schema=schema,
        expected_version=1,
        name="Laptops",
        slug="ignored",
        fields=LAPTOP_FORM[:2],
    )
    assert (changed.version, changed.slug, len(changed.fields)) == (2, "laptop", 2)
    assert list(
        AuditEntry.objects.filter(object_type="core.formschema").values_list("action", flat=True)
    ) == ["form_schema.created", "form_schema.updated"]
    with pytest.raises(StaleVersion):
        form_schema_save(
            actor=boss,
            schema=changed,
            expected_version=1,
            name="Old",
            slug="laptop",
            fields=LAPTOP_FORM,
        )


def test_a_bad_definition_is_refused_and_nothing_is_written():
    boss = admin()
    with pytest.raises(SchemaInvalid) as refused:
        save_form(boss, fields=[*LAPTOP_FORM, {"key": "model", "label": "Again", "type": "text"}])
    assert refused.value.positions == {"10": ["Another field already has the key 'model'."]}
    assert refused.value.fields == {
        "fields": ["Field 11: Another field already has the key 'model'."]
    }
    assert not FormSchema.objects.exists()
    assert not AuditEntry.objects.filter(object_type="core.formschema").exists()


@pytest.mark.parametrize("make", [requester, agent])
def test_only_catalog_managers_and_admins_design_forms(make):
    with pytest.raises(NotPermitted):
        save_form(make())
    assert not FormSchema.objects.exists()


def test_field_sets_come_first_and_may_not_include_each_other_in_a_circle():
    boss = admin()
    contact = form_schema_save(
        actor=boss,
        name="Contact",
        slug="contact",
        is_field_set=True,
        fields=[{"key": "phone", "label": "Phone", "type": "text"}],
    )
    desk = form_schema_save(
        actor=boss,
        name="Desk",
        slug="desk",
        is_field_set=True,
        includes=["contact"],
        fields=[{"key": "desk", "label": "Desk", "type": "text", "visible_if": "not empty(phone)"}],
    )
    laptop = save_form(boss, includes=["desk"])
    assert [f["key"] for f in schema_fields(laptop)][:3] == ["phone", "desk", "category"]
    with pytest.raises(SchemaInvalid) as circle:
        form_schema_save(
            actor=boss,
            schema=contact,
            name="Contact",
            slug="contact",
            is_field_set=True,
            includes=["desk"],
            fields=contact.fields,
        )
    assert circle.value.fields == {
        "includes": ["Field sets include each other in a circle: contact → desk → contact."]
    }
    with pytest.raises(SchemaInvalid) as not_a_set:
        save_form(boss, slug="other", includes=["laptop"])
    assert not_a_set.value.fields == {
        "includes": ["'Laptop request' is a form, not a reusable field set."]
    }
    assert desk.version == 1


@pytest.mark.parametrize("slug", ["new", "preview", "pick"])
def test_slugs_the_pages_use_are_refused(slug):
    with pytest.raises(SchemaInvalid):
        save_form(admin(), slug=slug)
