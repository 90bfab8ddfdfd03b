"""The Message-ID index that threads replies and stops double processing."""

import pytest
from django.db import transaction

from opsdesk.core.mail import mail_remember, mail_seen, mail_thread_record
from opsdesk.core.testing.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_a_message_id_is_remembered_once_in_either_spelling():
    team = TeamFactory()
    with transaction.atomic():
        _, created = mail_remember(message_id="abc@example.com", direction="in", record=team)
        _, again = mail_remember(message_id="<abc@example.com>", direction="in", record=team)
    assert (created, again) == (True, False)
    assert mail_seen(message_id="<abc@example.com>")


def test_a_reply_finds_its_record_through_in_reply_to_or_references():
    team = TeamFactory()
    mail_remember(message_id="<sent-1@opsdesk>", direction="out", record=team)
    mail_remember(message_id="<unrelated@elsewhere>", direction="in")
    found = mail_thread_record(
        message_ids=["<nothing@x>", "<unrelated@elsewhere>", "sent-1@opsdesk"]
    )
    assert found is not None and found.record == team
    assert mail_thread_record(message_ids=["<nothing@x>"]) is None
