"""An access review's evidence for auditors: each decision, who made it and when, what was
revoked and when it was gone from the directory, as CSV rows and as a PDF report."""

from django.utils import timezone
from fpdf import FPDF

from opsdesk.access.models import ReviewCampaign

COLUMNS = [
    "Campaign",
    "Stage",
    "Holder",
    "Application",
    "Entitlement",
    "Reviewer",
    "Delegated by",
    "Decision",
    "Comment",
    "Decided at",
    "By policy",
    "Applied at",
    "Removed from directory at",
]


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def evidence_rows(campaign: ReviewCampaign):
    items = campaign.items.select_related(
        "grant__holder", "grant__entitlement__application", "reviewer", "delegated_from"
    ).order_by("grant__holder__username", "stage")
    for item in items.iterator(chunk_size=2000):
        grant = item.grant
        yield [
            campaign.name,
            str(item.stage),
            str(grant.holder),
            grant.entitlement.application.name,
            grant.entitlement.name,
            str(item.reviewer),
            str(item.delegated_from) if item.delegated_from_id else "",
            item.get_decision_display() if item.decision else "Not decided",
            item.comment,
            _when(item.decided_at),
            "yes" if item.by_policy else "",
            _when(item.applied_at),
            _when(grant.deprovisioned_at) if item.applied_at else "",
        ]


def _latin(text: str) -> str:
    # The built-in PDF fonts hold Latin-1; anything else is shown as "?" rather than failing.
    return text.encode("latin-1", "replace").decode("latin-1")


def evidence_pdf(campaign: ReviewCampaign) -> bytes:
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(_latin(f"Access review evidence: {campaign.name}"))
    pdf.set_author("opsdesk")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(
        0, 10, _latin(f"Access review evidence: {campaign.name}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("helvetica", size=9)
    summary = (
        f"Owner {campaign.owner} - {campaign.get_state_display()} - deadline "
        f"{_when(campaign.deadline)} - started {_when(campaign.started_at)} - applied "
        f"{_when(campaign.applied_at) or 'not yet'} - printed {_when(timezone.now())}"
    )
    pdf.multi_cell(0, 5, _latin(summary), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    shown = [2, 3, 4, 5, 7, 8, 9, 12]  # holder, application, entitlement, reviewer, ...
    widths = [38, 32, 38, 34, 22, 52, 28, 30]
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.5) as table:
        header = table.row()
        for index in shown:
            header.cell(COLUMNS[index])
        for row in evidence_rows(campaign):
            line = table.row()
            for index in shown:
                line.cell(_latin(row[index]))
    return bytes(pdf.output())
