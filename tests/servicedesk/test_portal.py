"""The self-service portal: report, follow, confirm or reopen, and never see others' tickets."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opsdesk.core.attachments import attachments_for
from opsdesk.core.testing.factories import requester
from opsdesk.incidents import services as incidents
from opsdesk.incidents.models import Incident, State
from opsdesk.incidents.testing import IncidentFactory, resolution_code
from opsdesk.servicedesk.models import Deflection
from tests.servicedesk.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_requesters_land_on_the_portal_and_agents_on_the_workspace(client, alice, desk_agent):
    client.force_login(alice)
    assert client.get(reverse("core:home")).url == reverse("servicedesk:home")
    client.force_login(desk_agent)
    assert client.get(reverse("core:home")).status_code == 200


def test_home_offers_report_tickets_search_and_status(client, alice):
    client.force_login(alice)
    page = client.get(reverse("servicedesk:home")).content.decode()
    for text in ("Report an issue", "My tickets", "Search the knowledge base", "Service status"):
        assert text in page


def test_status_panel_shows_major_incidents_on_services_the_user_uses(client, alice):
    from opsdesk.incidents.testing import make_ci

    email_service = make_ci("Email", "business_service")
    other = make_ci("Payroll", "business_service")
    mine = IncidentFactory(caller=alice, service=email_service)
    mine.affected_services.add(email_service)
    major = IncidentFactory(is_major=True, short_description="Mail is down for everyone")
    major.affected_services.add(email_service)
    unrelated = IncidentFactory(is_major=True, short_description="Payroll batch failed")
    unrelated.affected_services.add(other)
    client.force_login(alice)
    page = client.get(reverse("servicedesk:home")).content.decode()
    assert "Mail is down for everyone" in page
    assert "Payroll batch failed" not in page


def test_report_maps_plain_answers_to_impact_and_urgency_and_keeps_the_file(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("servicedesk:report"),
        {
            "short_description": "Cannot print payslips",
            "description": "Printer says offline",
            "who": "team",
            "work": "no",
            "attachment": SimpleUploadedFile("error.txt", b"offline since 9am"),
        },
    )
    incident = Incident.objects.get()
    assert response.url == reverse("servicedesk:ticket", args=[incident.pk])
    assert (incident.impact, incident.urgency, incident.channel) == (2, 1, "portal")
    assert incident.caller == alice
    assert [a.original_name for a in attachments_for(record=incident)] == ["error.txt"]


def test_report_without_a_summary_shows_the_error_and_writes_nothing(client, alice):
    client.force_login(alice)
    response = client.post(reverse("servicedesk:report"), {"who": "me", "work": "yes"})
    assert response.status_code == 200 and b"This field is required" in response.content
    assert Incident.objects.count() == 0


def test_suggestions_show_public_published_articles_and_deflection_counts(client, alice):
    vpn = ArticleFactory(title="VPN disconnects every hour", keywords="vpn, remote")
    ArticleFactory(title="VPN internal runbook", audience="internal")
    ArticleFactory(title="VPN draft", state="draft")
    client.force_login(alice)
    found = client.get(reverse("servicedesk:suggestions"), {"short_description": "my vpn drops"})
    assert "VPN disconnects every hour" in found.content.decode()
    assert "runbook" not in found.content.decode() and "draft" not in found.content.decode()
    article = client.get(reverse("servicedesk:kb-article", args=[vpn.number]) + "?from=report")
    assert b"Yes, I need no ticket" in article.content
    done = client.post(
        reverse("servicedesk:kb-feedback", args=[vpn.number]), {"helpful": "yes", "from": "report"}
    )
    assert done.url == reverse("servicedesk:home")
    assert Deflection.objects.filter(article=vpn, user=alice).count() == 1
    vpn.refresh_from_db()
    assert (vpn.views, vpn.helpful_yes) == (1, 1)


def test_guessing_ids_never_shows_another_requesters_ticket(client, alice):
    theirs = IncidentFactory(caller=requester(), short_description="Bob's secret issue")
    client.force_login(alice)
    for pk in (theirs.pk, theirs.pk + 1, 999999):
        assert client.get(reverse("servicedesk:ticket", args=[pk])).status_code == 404
        posted = client.post(
            reverse("servicedesk:ticket-action", args=[pk, "comment"]), {"body": "hi"}
        )
        assert posted.status_code == 404
    assert "Bob's secret issue" not in client.get(reverse("servicedesk:tickets")).content.decode()


def test_ticket_shows_the_public_timeline_but_never_work_notes(client, alice, desk_agent):
    incident = IncidentFactory(caller=alice)
    incidents.incident_comment(actor=desk_agent, incident=incident, body="We are on it")
    incidents.incident_comment(
        actor=desk_agent, incident=incident, body="Caller is grumpy", internal=True
    )
    client.force_login(alice)
    page = client.get(reverse("servicedesk:ticket", args=[incident.pk])).content.decode()
    assert "We are on it" in page and "grumpy" not in page


def test_requester_comments_with_a_file(client, alice):
    incident = IncidentFactory(caller=alice)
    client.force_login(alice)
    url = reverse("servicedesk:ticket-action", args=[incident.pk, "comment"])
    empty = client.post(url, {"body": "  "})
    assert empty.status_code == 400 and b"Write a comment or attach a file" in empty.content
    client.post(url, {"body": "Here is a photo", "attachment": SimpleUploadedFile("p.txt", b"x")})
    page = client.get(reverse("servicedesk:ticket", args=[incident.pk])).content.decode()
    assert "Here is a photo" in page and "p.txt" in page


def _resolved(alice, desk_agent):
    incident = incidents.incident_open(
        actor=desk_agent, caller=alice, short_description="Mail stuck", assignment_group=None
    )
    incident = incidents.incident_transition(
        actor=desk_agent,
        incident=incident,
        action="resolve",
        resolution_code=resolution_code(),
        resolution_notes="Cleared the queue",
    )
    return incident


def test_requester_confirms_the_resolution(client, alice, desk_agent):
    incident = _resolved(alice, desk_agent)
    client.force_login(alice)
    page = client.get(reverse("servicedesk:ticket", args=[incident.pk])).content.decode()
    assert "We think this is fixed" in page and "Cleared the queue" in page
    client.post(reverse("servicedesk:ticket-action", args=[incident.pk, "confirm"]))
    assert Incident.objects.get(pk=incident.pk).state == State.CLOSED


def test_requester_reopens_with_a_reason(client, alice, desk_agent):
    incident = _resolved(alice, desk_agent)
    client.force_login(alice)
    url = reverse("servicedesk:ticket-action", args=[incident.pk, "reopen"])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert Incident.objects.get(pk=incident.pk).state == State.RESOLVED
    client.post(url, {"reason": "Still stuck"})
    assert Incident.objects.get(pk=incident.pk).state == State.IN_PROGRESS


def test_status_panel_says_a_declared_major_incident_once(client, alice):
    from opsdesk.incidents.testing import make_ci

    service = make_ci("Email", "business_service")
    # Declaring without a summary copies the short description into the summary.
    incident = IncidentFactory(
        is_major=True,
        short_description="Mail is down for everyone",
        major_summary="Mail is down for everyone",
    )
    incident.affected_services.add(service)
    client.force_login(alice)
    page = client.get(reverse("servicedesk:home")).content.decode()
    assert page.count("Mail is down for everyone") == 1

    Incident.objects.filter(pk=incident.pk).update(major_summary="Fix is rolling out")
    page = client.get(reverse("servicedesk:home")).content.decode()
    assert page.count("Mail is down for everyone") == 1 and "Fix is rolling out" in page


def test_portal_comments_render_markdown_and_escape_script(client, alice, desk_agent):
    incident = IncidentFactory(caller=alice)
    incidents.incident_comment(
        actor=desk_agent,
        incident=incident,
        body="Please **restart** the router.\n\n<script>alert('x')</script>",
    )
    client.force_login(alice)
    page = client.get(reverse("servicedesk:ticket", args=[incident.pk])).content.decode()
    assert "<strong>restart</strong>" in page
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_portal_shows_state_labels_with_their_own_pill_never_stored_values(
    client, alice, desk_agent
):
    from opsdesk.incidents.models import HoldReason

    working = IncidentFactory(caller=alice)
    working = incidents.incident_transition(actor=desk_agent, incident=working, action="start")
    waiting = IncidentFactory(caller=alice)
    waiting = incidents.incident_transition(actor=desk_agent, incident=waiting, action="start")
    waiting = incidents.incident_transition(
        actor=desk_agent, incident=waiting, action="hold", hold_reason=HoldReason.values[0]
    )
    fresh = IncidentFactory(caller=alice)
    client.force_login(alice)
    pages = [
        client.get(reverse("servicedesk:home")).content.decode(),
        client.get(reverse("servicedesk:tickets")).content.decode(),
        client.get(reverse("servicedesk:ticket", args=[working.pk])).content.decode(),
        client.get(reverse("servicedesk:ticket", args=[waiting.pk])).content.decode(),
    ]
    for page in pages:
        for value in ("in_progress", "on_hold", "In_progress", "On_hold"):
            assert value not in page
    listing = pages[1]
    assert 'class="badge state-working">In progress<' in listing
    assert 'class="badge state-waiting">On hold<' in listing
    assert f'class="badge {"state-received"}">{fresh.get_state_display()}<' in listing
    assert "Status: In progress" in pages[2] and "Status: On hold" in pages[3]


def test_kb_landing_shows_shelves_helpful_and_recent_articles_requesters_may_read(client, alice):
    from django.utils import timezone

    from tests.servicedesk.factories import CategoryFactory

    network = CategoryFactory(name="Network")
    CategoryFactory(name="Empty shelf")
    secret = CategoryFactory(name="Agent tricks")
    now = timezone.now()
    ArticleFactory(title="Connect to the VPN", category=network, helpful_yes=9, published_at=now)
    ArticleFactory(title="Reset your password", helpful_yes=3, published_at=now)
    ArticleFactory(title="Internal runbook", audience="internal", category=secret, helpful_yes=50)
    ArticleFactory(title="Half-written draft", state="draft", category=secret)
    client.force_login(alice)
    page = client.get(reverse("servicedesk:kb-search")).content.decode()
    assert "Browse by topic" in page and "Network" in page
    assert "Empty shelf" not in page and "Agent tricks" not in page
    assert "Most helpful" in page and "Recently published" in page
    helpful = page[page.index("Most helpful") : page.index("Recently published")]
    assert helpful.index("Connect to the VPN") < helpful.index("Reset your password")
    assert "Internal runbook" not in page and "Half-written draft" not in page

    shelf = client.get(reverse("servicedesk:kb-search"), {"category": network.pk})
    shelf_page = shelf.content.decode()
    assert shelf.status_code == 200 and 'id="shelf-h">Network<' in shelf_page
    hidden = client.get(reverse("servicedesk:kb-search"), {"category": secret.pk}).content
    assert b"Internal runbook" not in hidden and b'id="shelf-h"' not in hidden
    assert client.get(reverse("servicedesk:kb-search"), {"category": "abc"}).status_code == 200


def test_kb_landing_without_articles_says_so_and_offers_to_report(client, alice):
    ArticleFactory(title="Internal runbook", audience="internal")
    client.force_login(alice)
    page = client.get(reverse("servicedesk:kb-search")).content.decode()
    assert "There are no articles yet" in page and reverse("servicedesk:report") in page
    assert "Internal runbook" not in page
