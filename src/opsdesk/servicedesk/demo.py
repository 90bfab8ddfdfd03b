"""Demo data for the service desk: a mailbox, knowledge articles and canned responses."""

from opsdesk.cmdb.selectors import service_list
from opsdesk.core.models import Team
from opsdesk.servicedesk import canned, knowledge
from opsdesk.servicedesk.models import CannedResponse, KnowledgeArticle, Mailbox

# (title, keywords, body, the business service it is about): one for each common call.
ARTICLES = [
    (
        "VPN disconnects every hour",
        "vpn, remote, home, disconnect, shared drives",
        "The VPN client before 6.2 drops the tunnel when the token renews.\n\n"
        "1. Open **Software Center**.\n2. Install *GlobalProtect 6.2*.\n3. Restart.\n\n"
        "Connected but the shared drives do not open? Disconnect, wait a minute, connect again.",
        "Remote access (VPN)",
    ),
    (
        "Reset your password or MFA",
        "password, mfa, locked, login, expired, forgot, phone",
        "Go to the self-service password page, confirm with your phone, choose a new "
        "password of at least 14 characters. Locked out? The lock lifts after 15 minutes.\n\n"
        "New phone, or the MFA prompt never arrives: call the Service Desk to register it again.",
        "Accounts & sign-in",
    ),
    (
        "Printer shows error E42",
        "printer, paper, jam, e42, noise, grinding",
        "E42 is a paper jam behind the rear flap. Open the flap, remove the paper, close it. "
        "A grinding noise usually means a torn sheet in the rollers: switch off and call us.",
        "Printing",
    ),
    (
        "Printer missing, jobs stuck or toner empty",
        "printer, queue, stuck, toner, find, windows update",
        "Printers are added by office: open **Settings > Printers**, choose *Add*, pick the "
        "one named after your floor (for example lon-print-3f). Stuck jobs: cancel them in the "
        "queue and print again. Spare toner is in the print room; tell us when you take the last.",
        "Printing",
    ),
    (
        "Outlook is slow or does not start",
        "outlook, email, mail, slow, attachments, shared mailbox, invitations",
        "Start Outlook in safe mode (`outlook.exe /safe`), then disable add-ins one by one. "
        "A shared mailbox appears within an hour of access being granted; restart Outlook.",
        "Email & Calendar",
    ),
    (
        "Second monitor not detected",
        "monitor, screen, dock, docking station, flicker, picture",
        "Unplug the docking station from the laptop for ten seconds and plug it in again. "
        "Still black or flickering: try the other cable in the drawer, then call us.",
        "Workplace devices",
    ),
    (
        "Laptop slow, will not start or battery drains",
        "laptop, power, battery, slow, keyboard, update",
        "Hold the power button for 15 seconds, then start it on the charger. After an update, "
        "leave it on and connected for an hour so it can finish. Keys or battery failing: we "
        "swap the laptop; bring it to the Service Desk.",
        "Workplace devices",
    ),
    (
        "Office apps or the browser crash, freeze or ask to be activated",
        "excel, word, office, activated, crash, freeze, browser, certificate, intranet",
        "Close the app, open **Software Center** and choose *Repair Office*. Asked to activate: "
        "sign in with your work account. A certificate warning on the intranet goes away after "
        "a restart on the office network.",
        "Workplace devices",
    ),
    (
        "Wi-Fi or the desk network does not work",
        "wi-fi, wifi, network, guest, desk, port, slow, meeting rooms",
        "Forget the *Larkfield* network and join it again. Visitors use *Larkfield-Guest* with "
        "the code from reception. No network on a desk port: try the other port, then tell us "
        "the number on its label.",
        "Office network & Wi-Fi",
    ),
    (
        "Get access to a shared folder",
        "access, share, folder, permission, denied",
        "Ask for access in the portal, naming the folder; the folder's owner approves it. "
        "Access denied on a folder you used yesterday: sign out and in again first.",
        "Document Sharing",
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
    services = {ci.name: ci for ci in service_list()}
    for title, keywords, body, service in ARTICLES:
        if not KnowledgeArticle.objects.filter(title=title).exists():
            article = knowledge.article_create(
                actor=None, title=title, body=body, keywords=keywords, service=services.get(service)
            )
            for action in ("submit", "publish"):
                article = knowledge.article_transition(actor=None, article=article, action=action)
            added += 1
    for title, body in REPLIES:
        if not CannedResponse.objects.filter(title=title, team=None).exists():
            canned.canned_create(actor=None, title=title, body=body)
            added += 1
    progress(f"servicedesk: {added} knowledge articles and canned responses added")
