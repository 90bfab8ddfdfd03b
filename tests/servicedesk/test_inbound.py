"""Inbound mail: new tickets, threading (and refusing strangers), noise, and nothing lost."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from opsdesk.core.mail import mail_remember, mail_seen
from opsdesk.core.models import Attachment, AuditEntry, OutboxEvent, User
from opsdesk.core.testing.factories import admin
from opsdesk.core.timeline import timeline_for
from opsdesk.incidents.models import Incident
from opsdesk.servicedesk.inbound.services import mail_ingest
from opsdesk.servicedesk.models import UnknownSender, UnprocessedMail, UnprocessedStatus
from tests.servicedesk.mail import message, raw

pytestmark = pytest.mark.django_db


def comments(incident):
    incident = Incident.objects.get(pk=incident.pk)
    return list(timeline_for(record=incident).filter(kind="comment").values_list("body", flat=True))


def test_new_message_opens_an_email_incident_for_the_sender(mailbox, alice):
    result = mail_ingest(raw=raw(message()), mailbox=mailbox)
    assert result.outcome == "created"
    incident = result.incident
    assert incident.channel == "email"
    assert incident.caller == alice
    assert incident.short_description == "Laptop will not boot"
    assert "black screen" in incident.description
    assert incident.assignment_group is not None
    # The original is kept, but only agents may fetch it.
    original = Attachment.objects.get(object_id=str(incident.pk), is_public=False)
    assert original.original_name.endswith(".eml")


def test_the_same_message_twice_is_processed_once(mailbox, alice):
    msg = raw(message())
    assert mail_ingest(raw=msg, mailbox=mailbox).outcome == "created"
    assert mail_ingest(raw=msg, mailbox=mailbox).outcome == "duplicate"
    assert Incident.objects.count() == 1


def test_unknown_sender_becomes_a_requester_contact(mailbox):
    result = mail_ingest(raw=raw(message(sender="Bob New <bob@partner.example>")), mailbox=mailbox)
    assert result.outcome == "created"
    bob = User.objects.get(email="bob@partner.example")
    assert result.incident.caller == bob
    assert bob.groups.filter(name="requester").exists()
    assert not bob.has_usable_password()


def test_a_contact_created_from_mail_is_in_the_audit_trail(mailbox):
    mail_ingest(raw=raw(message(sender="Bob New <bob@partner.example>")), mailbox=mailbox)
    bob = User.objects.get(email="bob@partner.example")
    entry = AuditEntry.objects.get(action="user.created", object_id=str(bob.pk))
    assert entry.actor is None
    assert entry.changes["username"] == {"from": None, "to": bob.username}
    assert entry.changes["roles"] == {"from": [], "to": ["requester"]}


def test_a_sender_whose_address_is_no_user_name_still_gets_a_contact(mailbox):
    result = mail_ingest(
        raw=raw(message(sender="O'Brien <o'brien!ops@partner.example>")), mailbox=mailbox
    )
    assert result.outcome == "created"
    contact = User.objects.get(email="o'brien!ops@partner.example")
    assert contact.username == "obrienops"
    assert result.incident.caller == contact


def test_unknown_sender_rejected_per_mailbox_is_kept_unprocessed(mailbox):
    mailbox.unknown_sender = UnknownSender.REJECT
    mailbox.save()
    result = mail_ingest(raw=raw(message(sender="bob@partner.example")), mailbox=mailbox)
    assert result.outcome == "unprocessed"
    assert Incident.objects.count() == 0
    kept = UnprocessedMail.objects.get()
    assert "Unknown sender" in kept.reason and kept.sender == "bob@partner.example"
    assert b"black screen" in bytes(kept.raw)


def test_reply_with_number_in_subject_joins_the_ticket_without_the_quote(mailbox, alice):
    incident = mail_ingest(raw=raw(message()), mailbox=mailbox).incident
    reply = message(
        subject=f"RE: [{incident.number}] Laptop will not boot",
        body="It works again after a restart.\n\nOn Mon, 3 Jun 2024, Service Desk wrote:\n"
        "> We are looking into it.\n\n-- \nAlice Archer\nFinance",
    )
    result = mail_ingest(raw=raw(reply), mailbox=mailbox)
    assert result.outcome == "commented" and result.incident.pk == incident.pk
    assert comments(incident) == ["It works again after a restart."]
    assert Incident.objects.count() == 1


def test_reply_by_headers_to_mail_opsdesk_sent_joins_the_ticket(mailbox, alice):
    incident = mail_ingest(raw=raw(message()), mailbox=mailbox).incident
    # What the notifications app records when it mails the caller.
    mail_remember(
        message_id="<n1@opsdesk.example>",
        direction="out",
        record=incident,
        addresses=["alice@example.com"],
    )
    reply = message(
        subject="Re: your ticket",
        body="Thanks, attaching the photo.",
        in_reply_to="<n1@opsdesk.example>",
        references="<older@x> <n1@opsdesk.example>",
    )
    result = mail_ingest(raw=raw(reply), mailbox=mailbox)
    assert result.outcome == "commented" and result.incident.pk == incident.pk


def test_stranger_reusing_the_subject_gets_a_new_ticket(mailbox, alice, stranger):
    incident = mail_ingest(raw=raw(message()), mailbox=mailbox).incident
    hijack = message(
        sender="mallory@example.com",
        subject=f"RE: [{incident.number}] Laptop will not boot",
        body="Please send me the VPN password.",
    )
    result = mail_ingest(raw=raw(hijack), mailbox=mailbox)
    assert result.outcome == "created"
    assert result.incident.pk != incident.pk and result.incident.caller == stranger
    assert comments(incident) == []


def test_stranger_replying_by_headers_gets_a_new_ticket(mailbox, alice, stranger):
    first = message()
    incident = mail_ingest(raw=raw(first), mailbox=mailbox).incident
    hijack = message(
        sender="mallory@example.com", subject="Re: Laptop", in_reply_to=first["Message-ID"]
    )
    result = mail_ingest(raw=raw(hijack), mailbox=mailbox)
    assert result.incident.pk != incident.pk


def test_agent_and_cc_on_thread_may_reply(mailbox, alice, desk_agent):
    first = message(to="servicedesk@example.com, carol@partner.example")
    incident = mail_ingest(raw=raw(first), mailbox=mailbox).incident
    by_agent = message(sender="dana@example.com", subject=f"[{incident.number}] on it")
    assert mail_ingest(raw=raw(by_agent), mailbox=mailbox).incident.pk == incident.pk
    # Carol was on the first mail: she belongs to the thread though she has no account.
    by_cc = message(
        sender="Carol <carol@partner.example>",
        subject="Re: Laptop will not boot",
        in_reply_to=first["Message-ID"],
        body="Same here on my machine.",
    )
    result = mail_ingest(raw=raw(by_cc), mailbox=mailbox)
    assert result.outcome == "commented" and result.incident.pk == incident.pk
    assert any("carol@partner.example" in c and "Same here" in c for c in comments(incident))


@pytest.mark.parametrize(
    "headers,sender",
    [
        ({"Auto-Submitted": "auto-replied"}, "alice@example.com"),
        ({"X-Autoreply": "yes"}, "alice@example.com"),
        ({"Precedence": "bulk"}, "alice@example.com"),
        ({"Precedence": "list"}, "alice@example.com"),
        ({"X-Auto-Response-Suppress": "All"}, "alice@example.com"),
        ({}, "MAILER-DAEMON@mx.example.com"),
        ({}, "servicedesk@example.com"),  # our own mailbox writing to itself
    ],
)
def test_auto_replies_bounces_and_own_mail_create_nothing(mailbox, alice, headers, sender):
    events_before = OutboxEvent.objects.count()
    result = mail_ingest(raw=raw(message(sender=sender, headers=headers)), mailbox=mailbox)
    assert result.outcome == "ignored"
    assert Incident.objects.count() == 0
    assert OutboxEvent.objects.count() == events_before  # nothing to notify anyone about
    assert UnprocessedMail.objects.count() == 0


def test_auto_submitted_no_is_a_person(mailbox, alice):
    msg = message(headers={"Auto-Submitted": "no"})
    assert mail_ingest(raw=raw(msg), mailbox=mailbox).outcome == "created"


def test_delivery_report_bounce_is_ignored(mailbox, alice):
    msg = message(sender="postmaster@example.com", body="Delivery failed")
    bounce = raw(msg).replace(b"text/plain", b"multipart/report; report-type=delivery-status", 1)
    assert mail_ingest(raw=bounce, mailbox=mailbox).outcome == "ignored"
    report = message(body=None, html=None)
    report.make_mixed()
    report.replace_header("Content-Type", "multipart/report; report-type=delivery-status")
    assert mail_ingest(raw=raw(report), mailbox=mailbox).outcome == "ignored"


def test_reply_to_mail_opsdesk_sent_from_itself_is_ignored(mailbox, alice):
    mail_remember(message_id="<loop@opsdesk.example>", direction="out")
    msg = message(message_id="<loop@opsdesk.example>")
    # The Message-ID is already known: the loop stops at the door.
    assert mail_ingest(raw=raw(msg), mailbox=mailbox).outcome == "duplicate"
    assert Incident.objects.count() == 0


def test_html_only_mail_becomes_safe_text(mailbox, alice):
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>The <b>printer</b> on floor 3 says &lt;E42&gt;.</p><div>Thanks</div>"
        "<blockquote>old quoted mail</blockquote><img src=x onerror=alert(2)></body></html>"
    )
    result = mail_ingest(raw=raw(message(body=None, html=html)), mailbox=mailbox)
    text = result.incident.description
    assert "The printer on floor 3 says <E42>." in text and "Thanks" in text
    assert "alert" not in text and "color" not in text and "old quoted" not in text
    from django.test import Client

    client = Client()
    client.force_login(alice)
    page = client.get(reverse("servicedesk:ticket", args=[result.incident.pk])).content.decode()
    assert "&lt;E42&gt;" in page and "<E42>" not in page


def test_attachments_and_inline_images_are_stored_publicly(mailbox, alice):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    msg = message(attachments=[("screen.png", "image", "png", png)])
    msg.add_attachment(b"log line\n", maintype="text", subtype="plain", filename="boot.log")
    incident = mail_ingest(raw=raw(msg), mailbox=mailbox).incident
    public = Attachment.objects.filter(object_id=str(incident.pk), is_public=True)
    assert sorted(public.values_list("original_name", flat=True)) == ["boot.log", "screen.png"]


def test_files_over_the_limit_are_noted_and_stay_in_the_original(mailbox, alice, settings):
    settings.OPSDESK_MAIL_MAX_FILES = 1
    msg = message(attachments=[("a.txt", "text", "plain", b"a"), ("b.txt", "text", "plain", b"b")])
    incident = mail_ingest(raw=raw(msg), mailbox=mailbox).incident
    names = Attachment.objects.filter(object_id=str(incident.pk), is_public=True)
    assert list(names.values_list("original_name", flat=True)) == ["a.txt"]
    assert any("1 more file(s)" in c for c in comments(incident))


def test_malformed_mime_lands_in_unprocessed_with_the_reason(mailbox, alice):
    broken = (
        b"From: alice@example.com\r\nSubject: broken\r\nMessage-ID: <b1@x>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\nno boundary at all\r\n"
    )
    result = mail_ingest(raw=broken, mailbox=mailbox)
    assert result.outcome == "unprocessed"
    kept = UnprocessedMail.objects.get()
    assert "Malformed MIME" in kept.reason and kept.subject == "broken"
    assert bytes(kept.raw) == broken


def test_unknown_charset_is_kept_and_known_odd_charset_is_read(mailbox, alice):
    odd = message(subject="Проблема с почтой")
    odd.set_content("Не работает почта", charset="koi8-r")
    result = mail_ingest(raw=raw(odd), mailbox=mailbox)
    assert result.outcome == "created"
    assert result.incident.short_description == "Проблема с почтой"
    assert "Не работает почта" in result.incident.description

    unknown = raw(message(message_id="<cs@x>")).replace(b'charset="utf-8"', b"charset=x-klingon")
    unknown = unknown.replace(b"charset=utf-8", b"charset=x-klingon")
    result = mail_ingest(raw=unknown, mailbox=mailbox)
    assert result.outcome == "unprocessed" and "x-klingon" in result.reason


def test_huge_message_is_kept_unprocessed(mailbox, alice, settings):
    settings.ATTACHMENT_MAX_BYTES = 2000
    result = mail_ingest(raw=raw(message(body="x" * 5000)), mailbox=mailbox)
    assert result.outcome == "unprocessed" and "limit" in result.reason
    assert Incident.objects.count() == 0


def test_unprocessed_list_shows_the_reason_to_agents_only(client, mailbox, desk_agent, alice):
    mail_ingest(
        raw=b"From: alice@example.com\r\nSubject: x\r\nContent-Type: multipart/mixed\r\n\r\n"
    )
    client.force_login(desk_agent)
    page = client.get(reverse("servicedesk:unprocessed"))
    assert page.status_code == 200 and b"Malformed MIME" in page.content
    client.force_login(alice)
    assert client.get(reverse("servicedesk:unprocessed")).status_code == 403


def test_an_administrator_dismisses_kept_mail_and_the_trail_says_who(client, mailbox, alice):
    mail_ingest(
        raw=b"From: alice@example.com\r\nSubject: x\r\nContent-Type: multipart/mixed\r\n\r\n"
    )
    kept = UnprocessedMail.objects.get()
    administrator = admin()
    client.force_login(administrator)
    url = reverse("servicedesk:unprocessed-action", args=[kept.pk, "dismiss"])
    page = client.post(url, follow=True)
    assert b"Dismissed." in page.content
    kept.refresh_from_db()
    assert kept.status == UnprocessedStatus.DISMISSED
    entry = AuditEntry.objects.get(action="unprocessedmail.dismissed")
    assert entry.actor == administrator


def test_http_endpoint_needs_the_mailbox_token(client, mailbox, alice):
    url = "/api/servicedesk/inbound/email"
    body = raw(message())
    refused = client.post(url, body, content_type="message/rfc822")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "not_authenticated"
    wrong = client.post(
        url, body, content_type="message/rfc822", headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
    assert Incident.objects.count() == 0
    auth = {"Authorization": f"Bearer {mailbox.inbound_token}"}
    ok = client.post(url, body, content_type="message/rfc822", headers=auth)
    assert ok.status_code == 202 and ok.json()["outcome"] == "created"
    assert ok.json()["number"] == Incident.objects.get().number
    empty = client.post(url, b"", content_type="message/rfc822", headers=auth)
    assert empty.status_code == 400 and "body" in empty.json()["error"]["fields"]


def test_ingest_email_command_reads_standard_input(mailbox, alice, capsys):
    import io

    call_command("ingest-email", "--mailbox", "desk", stdin=io.BytesIO(raw(message())))
    assert capsys.readouterr().out.startswith("created INC")
    assert Incident.objects.get().channel == "email"
    call_command("ingest-email", stdin=io.BytesIO(raw(message(message_id="<same@x>"))))
    capsys.readouterr()
    call_command("ingest-email", stdin=io.BytesIO(raw(message(message_id="<same@x>"))))
    assert capsys.readouterr().out.startswith("duplicate")
    assert mail_seen(message_id="<same@x>") and Incident.objects.count() == 2


def test_unreadable_mail_keeps_sender_and_message_id_and_lists_them(
    client, mailbox, desk_agent, alice
):
    broken = message(sender="Bob Baker <Bob@Example.com>", message_id="<broken-1@mail.example.com>")
    broken.set_content("body")
    data = raw(broken).replace(b'charset="utf-8"', b"charset=x-klingon")
    data = data.replace(b"charset=utf-8", b"charset=x-klingon")
    kept = mail_ingest(raw=data, mailbox=mailbox).unprocessed
    assert kept.sender == "bob@example.com"
    assert kept.message_id == "<broken-1@mail.example.com>"
    client.force_login(desk_agent)
    page = client.get(reverse("servicedesk:unprocessed")).content.decode()
    assert "bob@example.com" in page and "&lt;broken-1@mail.example.com&gt;" in page


def test_oversized_mail_keeps_sender_and_message_id(mailbox, alice, settings):
    settings.ATTACHMENT_MAX_BYTES = 2000
    big = message(body="x" * 5000, message_id="<big-1@mail.example.com>")
    kept = mail_ingest(raw=raw(big), mailbox=mailbox).unprocessed
    assert (kept.sender, kept.message_id) == ("alice@example.com", "<big-1@mail.example.com>")


def test_every_text_part_becomes_the_description_in_order(mailbox, alice):
    msg = message(body="First part: the printer is offline.")
    msg.add_attachment("Second part: it shows error 42.", disposition="inline")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="log.pdf")
    msg.add_attachment("Third part: since Monday.", disposition="inline")
    result = mail_ingest(raw=raw(msg), mailbox=mailbox)
    description = result.incident.description
    assert "First part" in description and "Second part" in description
    assert description.index("First") < description.index("Second") < description.index("Third")


def test_digest_parts_join_the_description(mailbox, alice):
    from email.message import EmailMessage

    digest = EmailMessage()
    digest["From"] = "Alice Archer <alice@example.com>"
    digest["To"] = "servicedesk@example.com"
    digest["Subject"] = "Collected reports"
    digest["Message-ID"] = "<digest-1@mail.example.com>"
    digest.make_mixed()
    intro = EmailMessage()
    intro.set_content("Two reports from the night shift.")
    digest.attach(intro)
    container = EmailMessage()
    container.make_mixed()
    container.set_type("multipart/digest")
    for text in ("Report one: VPN dropped.", "Report two: Wi-Fi slow."):
        inner = EmailMessage()
        inner["Subject"] = text.split(":")[0]
        inner.set_content(text)
        part = EmailMessage()
        part.set_content(inner)
        del part["Content-Disposition"]
        container.attach(part)
    digest.attach(container)
    description = mail_ingest(raw=raw(digest), mailbox=mailbox).incident.description
    assert "Two reports" in description
    assert description.index("Report one") < description.index("Report two")


def test_nul_bytes_never_reach_stored_text(mailbox):
    msg = message(sender="Null\x00 Person <nul@example.com>", subject="Broken\x00 subject")
    msg.set_content("Text with a\x00NUL inside.")
    data = raw(msg)
    assert b"\x00" in data
    incident = mail_ingest(raw=data, mailbox=mailbox).incident
    contact = User.objects.get(email="nul@example.com")
    assert "\x00" not in contact.display_name and contact.display_name == "Null Person"
    assert "\x00" not in incident.short_description and "\x00" not in incident.description
    assert "aNUL inside" in incident.description


def test_nul_bytes_in_unreadable_mail_are_stripped_on_the_kept_record(mailbox):
    broken = (
        b"From: Eve <eve@example.com>\r\nSubject: bro\x00ken\r\nMessage-ID: <n\x00ul@x>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n"
    )
    kept = mail_ingest(raw=broken, mailbox=mailbox).unprocessed
    assert kept.subject == "broken" and kept.sender == "eve@example.com"
    assert "\x00" not in kept.message_id


def test_http_endpoint_strips_nul_and_joins_text_parts(client, mailbox):
    msg = message(sender="Zed\x00 Zero <zed@example.com>", body="Part one.")
    msg.add_attachment("Part\x00 two.", disposition="inline")
    auth = {"Authorization": f"Bearer {mailbox.inbound_token}"}
    answer = client.post(
        "/api/servicedesk/inbound/email", raw(msg), content_type="message/rfc822", headers=auth
    )
    assert answer.status_code == 202 and answer.json()["outcome"] == "created"
    incident = Incident.objects.get(pk=answer.json()["incident_id"])
    assert "Part one." in incident.description and "Part two." in incident.description
    assert User.objects.get(email="zed@example.com").display_name == "Zed Zero"
