"""The agent record page: confirmations, fresh buttons, editing, parents, files."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opsdesk.core.attachments import attachment_store
from opsdesk.core.testing.views import browser_for
from opsdesk.incidents.testing import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_in_tmp(attachment_dir):
    """Uploaded files land in this test's own directory."""


def post(browser, incident, name, data=None, **extra):
    return browser.post(
        reverse("incidents:action", args=[incident.pk, name]), data or {}, follow=True, **extra
    )


def test_assign_to_me_confirms_and_the_button_goes_away(desk_agent, incident):
    page = post(browser_for(desk_agent), incident, "assign_me").content.decode()
    assert "Assigned to you." in page
    assert "Assign to me" not in page
    assert f"Assignee — → {desk_agent}" in page


def test_htmx_action_answers_the_panel_with_a_confirmation(desk_agent, incident):
    answer = browser_for(desk_agent).post(
        reverse("incidents:action", args=[incident.pk, "assign_me"]), HTTP_HX_REQUEST="true"
    )
    page = answer.content.decode()
    assert "Assigned to you." in page and "Assign to me" not in page


def test_priority_change_says_reason_and_from_to(desk_agent, incident):
    page = post(
        browser_for(desk_agent), incident, "priority", {"priority": 2, "reason": "VIP caller"}
    ).content.decode()
    assert "Priority P5 → P2: VIP caller" in page


def test_agent_edits_impact_and_the_priority_follows(desk_agent, incident):
    browser = browser_for(desk_agent)
    incident.refresh_from_db()
    page = post(
        browser,
        incident,
        "edit",
        {
            "caller": incident.caller_id,
            "impact": 1,
            "urgency": 1,
            "description": "Whole floor down",
            "version": incident.version,
        },
    ).content.decode()
    incident.refresh_from_db()
    assert (incident.impact, incident.urgency, incident.description) == (1, 1, "Whole floor down")
    assert incident.priority < 5
    assert "Changes saved." in page
    assert "Impact Low → High" in page
    assert f"Priority P5 → P{incident.priority}" in page


def test_edit_of_a_stale_version_is_refused(desk_agent, incident):
    incident.refresh_from_db()
    page = post(
        browser_for(desk_agent),
        incident,
        "edit",
        {"caller": incident.caller_id, "impact": 1, "urgency": 1, "version": incident.version - 1},
    ).content.decode()
    assert "changed by someone else" in page
    incident.refresh_from_db()
    assert incident.impact == 3


def test_set_and_clear_a_parent(desk_agent, team, caller, incident):
    parent = IncidentFactory(assignment_group=team, caller=caller)
    browser = browser_for(desk_agent)
    page = post(browser, incident, "set_parent", {"parent": parent.number}).content.decode()
    incident.refresh_from_db()
    assert incident.parent == parent
    assert "Parent: <a" in page and parent.number in page
    page = post(browser, incident, "clear_parent").content.decode()
    incident.refresh_from_db()
    assert incident.parent is None
    assert "No parent or child incidents." in page


def test_unknown_parent_number_is_a_form_error(desk_agent, incident):
    page = post(browser_for(desk_agent), incident, "set_parent", {"parent": "INC999"})
    assert "No incident INC999" in page.content.decode()


def test_files_panel_shows_requester_upload_and_internal_file_to_agents(
    desk_agent, caller, incident
):
    attachment_store(
        record=incident, upload=SimpleUploadedFile("screen.txt", b"hello"), uploaded_by=caller
    )
    attachment_store(
        record=incident, upload=SimpleUploadedFile("original.eml", b"From: a"), is_public=False
    )
    detail = reverse("incidents:detail", args=[incident.pk])
    page = browser_for(desk_agent).get(detail).content.decode()
    assert "screen.txt" in page and "original.eml" in page


def test_files_panel_empty_state_and_agent_upload(desk_agent, incident):
    browser = browser_for(desk_agent)
    assert (
        "No files yet."
        in browser.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    )
    page = post(
        browser,
        incident,
        "upload",
        {"file": SimpleUploadedFile("log.txt", b"trace"), "internal": "on"},
    ).content.decode()
    assert "File attached." in page and "log.txt" in page and "Internal" in page


def test_state_changes_on_the_timeline_read_as_labels(desk_agent, incident):
    post(browser_for(desk_agent), incident, "assign_me")
    page = post(browser_for(desk_agent), incident, "hold", {"hold_reason": "awaiting_caller"})
    text = page.content.decode()
    assert "In progress → On hold" in text
    assert "in_progress →" not in text and "→ on_hold" not in text
