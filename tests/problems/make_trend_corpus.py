"""Write the labelled corpus trend detection is measured on (``trend_corpus.json``).

    .venv/bin/python tests/problems/make_trend_corpus.py

From a fixed seed, so the file is the same on every run; it is committed, and the detector's
thresholds were tuned against it only after it was. It holds, over 90 days on fifteen services:

- **planted recurring failures**: the same failure on one service (mostly one CI), called in
  three to twelve times over days or weeks, each call worded differently (paraphrases, the
  caller's own additions, now and then a typo); every incident carries the failure's label;
- **same service, different failure**: one-off calls on the planted failures' services and CIs
  about something else;
- **same words, different service**: calls worded like a planted failure on services, CIs and
  categories other than the failure's own;
- **one outage, many callers**: a burst of calls within an hour about one outage (a major
  incident, not a recurring failure): unlabelled;
- **background**: one-off calls from unique subject and symptom pairs.

Each incident is ``{"id", "text", "service", "ci", "category", "hours", "label"}``: ``hours``
counts from the window's start, ``label`` names the planted failure or is null.
"""

import json
import random
from pathlib import Path

SEED = 20261204
DAYS = 90
OUT = Path(__file__).with_name("trend_corpus.json")

SERVICES = {
    "Email": ("Software", ["exchange-01", "exchange-02", "mail-relay"]),
    "VPN": ("Network", ["vpn-gw-01", "vpn-gw-02"]),
    "Payroll": ("Business apps", ["payroll-app", "payroll-db"]),
    "ERP": ("Business apps", ["erp-app-01", "erp-db-01", "erp-batch"]),
    "Printing": ("Hardware", ["prn-lon-3f", "prn-man-1f", "prn-lon-5f"]),
    "Wi-Fi": ("Network", ["wifi-ctrl-lon", "wifi-ctrl-man"]),
    "File shares": ("Storage", ["nas-01", "nas-02"]),
    "Intranet": ("Software", ["web-intra-01"]),
    "Telephony": ("Network", ["pbx-01", "sbc-01"]),
    "CRM": ("Business apps", ["crm-app", "crm-db"]),
    "Identity": ("Access", ["ad-dc-01", "ad-dc-02", "sso-idp"]),
    "Backup": ("Storage", ["backup-srv", "tape-lib"]),
    "Laptops": ("Hardware", []),
    "Video meetings": ("Software", ["teams-room-lon", "teams-room-man"]),
    "Warehouse scanners": ("Hardware", ["scan-gw-01"]),
}

# (label, service, CI or None, paraphrases, count range, spread in days)
FAILURES = [
    (
        "vpn-hourly-drop",
        "VPN",
        "vpn-gw-01",
        [
            "VPN disconnects every hour",
            "My VPN connection drops roughly once an hour",
            "Lost the VPN tunnel again, it happens hourly",
            "VPN keeps dropping after about sixty minutes",
            "Every hour the VPN session disconnects and I have to reconnect",
        ],
        (6, 12),
        25,
    ),
    (
        "payslip-timeout",
        "Payroll",
        "payroll-app",
        [
            "Payslip PDF times out",
            "Cannot download my payslip, the PDF never loads",
            "Payslip download spins and then fails with a timeout",
            "Payslip page times out when opening the PDF",
            "The payslip PDF will not open, request timed out",
        ],
        (5, 10),
        6,
    ),
    (
        "printer-e42",
        "Printing",
        "prn-lon-3f",
        [
            "Printer shows error E42 paper jam",
            "E42 on the third floor printer again",
            "Paper jam E42, printer stuck",
            "Printer jammed with code E42 behind the rear flap",
        ],
        (5, 9),
        40,
    ),
    (
        "mailbox-full-false",
        "Email",
        "exchange-02",
        [
            "Outlook says my mailbox is full but it is almost empty",
            "Mailbox full warning although I only use a few megabytes",
            "Getting mailbox quota exceeded messages with an empty mailbox",
            "False mailbox full error in Outlook",
        ],
        (4, 8),
        20,
    ),
    (
        "erp-batch-late",
        "ERP",
        "erp-batch",
        [
            "Overnight ERP batch did not finish, stock figures are from yesterday",
            "ERP nightly batch still running in the morning",
            "Stock levels not updated, the overnight batch job is late",
            "Nightly ERP batch overran again, reports show old stock",
        ],
        (4, 8),
        45,
    ),
    (
        "wifi-man-auth",
        "Wi-Fi",
        "wifi-ctrl-man",
        [
            "Wi-Fi asks for my password again and again in Manchester",
            "Cannot authenticate to the office Wi-Fi, keeps prompting for credentials",
            "Manchester Wi-Fi rejects my login repeatedly",
            "Wi-Fi authentication loop, it keeps asking for the password",
        ],
        (4, 9),
        15,
    ),
    (
        "share-locked-files",
        "File shares",
        "nas-01",
        [
            "Excel files on the shared drive are locked by another user who is not using them",
            "File on the S drive says locked for editing by someone who closed it",
            "Shared drive file stays locked after colleague closed it",
            "Cannot edit file on the share, locked by a user who left hours ago",
        ],
        (4, 8),
        30,
    ),
    (
        "sso-loop",
        "Identity",
        "sso-idp",
        [
            "Single sign-on redirect loop when opening the intranet",
            "SSO login page keeps redirecting back to itself",
            "Stuck in a sign-in loop with single sign-on",
            "The SSO page loops forever and never signs me in",
        ],
        (3, 7),
        10,
    ),
    (
        "crm-export-blank",
        "CRM",
        "crm-app",
        [
            "CRM export to Excel produces an empty file",
            "Exporting contacts from the CRM gives a blank spreadsheet",
            "CRM report export downloads but the file is empty",
        ],
        (3, 6),
        20,
    ),
    (
        "calls-one-way-audio",
        "Telephony",
        "sbc-01",
        [
            "Callers cannot hear me, one way audio on desk phone",
            "One-way audio on external calls",
            "Phone calls connect but the other side hears nothing",
            "External callers cannot hear me, I can hear them",
        ],
        (4, 9),
        35,
    ),
    (
        "backup-tape-fail",
        "Backup",
        "tape-lib",
        [
            "Weekly tape backup failed, drive reports media error",
            "Tape backup job failed with a media error",
            "Backup to tape failed again overnight, media error on the drive",
        ],
        (3, 5),
        50,
    ),
    (
        "laptop-dock-display",
        "Laptops",
        None,
        [
            "External monitors go black when the laptop wakes on the docking station",
            "Screens stay black after waking the laptop in the dock",
            "Docked laptop resumes from sleep but the monitors show nothing",
            "Monitors on the dock do not come back after sleep",
        ],
        (5, 10),
        40,
    ),
    (
        "teams-room-camera",
        "Video meetings",
        "teams-room-lon",
        [
            "Meeting room camera not detected in Teams",
            "Teams room in London shows no camera",
            "The London meeting room camera is missing in the call",
            "No video from the meeting room camera, Teams cannot find it",
        ],
        (3, 7),
        25,
    ),
    (
        "scanner-sync",
        "Warehouse scanners",
        "scan-gw-01",
        [
            "Handheld scanners stop syncing with the warehouse system",
            "Warehouse scanner sync fails, picks not uploaded",
            "Scanners show sync error and orders do not update",
            "Picking scanners lost sync with the stock system again",
        ],
        (4, 9),
        20,
    ),
]

ADDITIONS = [
    "",
    "",
    "Please help.",
    "This is urgent, I have a meeting soon.",
    "Third time this week.",
    "Started this morning.",
    "My colleague has the same.",
    "Restarted already, no change.",
    "Can someone look at it today?",
    "Happens on both my devices.",
]

SUBJECTS = [
    "Outlook",
    "Excel",
    "Word",
    "calendar",
    "keyboard",
    "mouse",
    "headset",
    "badge reader",
    "desk phone",
    "password",
    "account",
    "browser",
    "Chrome",
    "PDF viewer",
    "software centre",
    "antivirus",
    "timesheet",
    "expense claim",
    "purchase order",
    "invoice run",
    "shared calendar",
    "distribution list",
    "Teams chat",
    "intranet search",
    "home drive",
    "USB stick",
    "webcam",
    "phone charger",
    "smartphone",
    "tablet",
    "barcode label",
    "label printer",
    "parking permit",
    "door access",
    "projector",
    "whiteboard screen",
    "backup restore",
    "database report",
    "dashboard",
    "login page",
]
SYMPTOMS = [
    "is very slow",
    "crashes on start",
    "shows a blank screen",
    "asks to be activated",
    "is missing after the update",
    "gives an access denied error",
    "does not save changes",
    "freezes when I click it",
    "shows the wrong language",
    "has stopped working",
    "needs to be installed for a new starter",
    "shows an old version",
    "prints garbage characters",
    "will not connect",
    "reports a certificate error",
    "sends duplicate notifications",
    "loses my settings",
    "opens in the wrong time zone",
    "flickers",
    "beeps continuously",
    "needs a replacement",
    "cannot be found",
    "rejects my input",
    "shows an unknown error code",
    "runs out of space",
]


def _typo(rng: random.Random, text: str) -> str:
    words = text.split()
    i = rng.randrange(len(words))
    word = words[i]
    if len(word) > 4:
        j = rng.randrange(1, len(word) - 1)
        words[i] = word[:j] + word[j + 1 :]
    return " ".join(words)


def _say(rng: random.Random, phrasing: str) -> str:
    text = phrasing
    if rng.random() < 0.15:
        text = _typo(rng, text)
    if rng.random() < 0.3:
        text = text.lower()
    addition = rng.choice(ADDITIONS)
    return f"{text}. {addition}".strip()


def _place(rng: random.Random, service: str) -> tuple[str, str | None, str]:
    category, cis = SERVICES[service]
    return service, (rng.choice(cis) if cis else None), category


def build(seed: int = SEED) -> list[dict]:
    rng = random.Random(seed)
    rows: list[dict] = []

    def add(text, service, ci, category, hours, label=None):
        rows.append(
            {
                "text": text,
                "service": service,
                "ci": ci,
                "category": category,
                "hours": round(hours, 2),
                "label": label,
            }
        )

    for label, service, ci, phrasings, (low, high), spread in FAILURES:
        category = SERVICES[service][0]
        start = rng.uniform(0, DAYS - spread) * 24
        for _ in range(rng.randint(low, high)):
            # Mostly on the failing CI; now and then the caller names only the service.
            on_ci = ci if rng.random() < 0.85 else None
            add(
                _say(rng, rng.choice(phrasings)),
                service,
                on_ci,
                category,
                start + rng.uniform(0, spread * 24),
                label,
            )
        # Same words, different service: the wording of this failure elsewhere, one-offs.
        others = [s for s in SERVICES if s != service]
        for other in rng.sample(others, 3):
            where = _place(rng, other)
            add(_say(rng, rng.choice(phrasings)), *where, rng.uniform(0, DAYS * 24))
        # Same service, different failure: one-offs on the failing service and CI.
        for _ in range(4):
            text = f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(SYMPTOMS)}"
            add(_say(rng, text), service, ci, category, rng.uniform(0, DAYS * 24))

    # One outage, many callers within the hour: not a recurring failure.
    outages = [
        ("Email", "exchange-01", "Email is down, Outlook says disconnected"),
        ("ERP", "erp-app-01", "ERP not responding for anyone in finance"),
        ("Intranet", "web-intra-01", "Intranet returns error 503"),
    ]
    for service, ci, text in outages:
        start = rng.uniform(0, DAYS - 1) * 24
        for _ in range(rng.randint(5, 9)):
            add(_say(rng, text), service, ci, SERVICES[service][0], start + rng.uniform(0, 1))

    # Background: unique one-off calls anywhere.
    pairs = [(s, y) for s in SUBJECTS for y in SYMPTOMS]
    for subject, symptom in rng.sample(pairs, 700):
        where = _place(rng, rng.choice(list(SERVICES)))
        add(_say(rng, f"{subject.capitalize()} {symptom}"), *where, rng.uniform(0, DAYS * 24))

    rows.sort(key=lambda r: r["hours"])
    for number, row in enumerate(rows, start=1):
        row["id"] = number
    return rows


def main() -> None:
    rows = build()
    # One incident a line: small diffs, easy to read.
    lines = ",\n".join("  " + json.dumps(row) for row in rows)
    OUT.write_text(f'{{"seed": {SEED}, "days": {DAYS}, "incidents": [\n{lines}\n]}}\n')
    labelled = sum(1 for r in rows if r["label"])
    print(f"{len(rows)} incidents, {labelled} in {len(FAILURES)} planted failures -> {OUT.name}")


if __name__ == "__main__":
    main()
