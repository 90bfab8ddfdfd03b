"""Demo data for the service desk: a mailbox, knowledge articles and canned responses."""

from opsdesk.core.models import Team
from opsdesk.servicedesk import canned, knowledge
from opsdesk.servicedesk.models import CannedResponse, KnowledgeArticle, Mailbox

ARTICLES = [
    (
        "VPN disconnects every hour",
        "vpn, remote, disconnect",
        "The VPN client before 5.2 drops the tunnel when the token renews.\n\n"
        "1. Open **Software Center**.\n2. Install *GlobalConnect 5.2*.\n3. Restart.",
    ),
    (
        "Reset your password or MFA",
        "password, mfa, locked, login",
        "Go to the self-service password page, confirm with your phone, choose a new "
        "password of at least 14 characters.",
    ),
    (
        "Printer shows error E42",
        "printer, paper, jam, e42",
        "E42 is a paper jam behind the rear flap. Open the flap, remove the paper, close it.",
    ),
    (
        "Outlook is slow or does not start",
        "outlook, email, mail, slow",
        "Start Outlook in safe mode (`outlook.exe /safe`), then disable add-ins one by one.",
    ),
]
REPLIES = [
    (
        "Acknowledged",
        "Hi {{ caller.first_name }}, thank you. We are looking at {{ incident.number }}.",
    ),
    (
        "Need more details",
        "Hi {{ caller.first_name }}, could you send a screenshot of the error for "
        "{{ incident.number }}?",
    ),
    (
        "Resolved - please confirm",
        "Hi {{ caller.first_name }}, this should be fixed now. "
        "Please confirm in the portal or reopen {{ incident.number }} if not.\n\n{{ agent.name }}",
    ),
]


def load(*, progress) -> None:
    desk = Team.objects.filter(name="Service Desk").first()
    if not Mailbox.objects.filter(name="servicedesk").exists():
        Mailbox.objects.create(
            name="servicedesk", address="servicedesk@opsdesk.example", assignment_group=desk
        )
        progress("servicedesk: mailbox servicedesk@opsdesk.example")
    added = 0
    for title, keywords, body in ARTICLES:
        if not KnowledgeArticle.objects.filter(title=title).exists():
            article = knowledge.article_create(
                actor=None, title=title, body=body, keywords=keywords
            )
            for action in ("submit", "publish"):
                article = knowledge.article_transition(actor=None, article=article, action=action)
            added += 1
    for title, body in REPLIES:
        if not CannedResponse.objects.filter(title=title, team=None).exists():
            canned.canned_create(actor=None, title=title, body=body)
            added += 1
    progress(f"servicedesk: {added} knowledge articles and canned responses added")
