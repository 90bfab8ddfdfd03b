"""CSV of what a dashboard shows and of the records behind a number.

Cells read as on the page (labels, "2 h 5 min", "87.5%"); every duration also has a column
of its seconds, so a spreadsheet can compute with it."""

import csv

from django.http import HttpResponse
from django.utils import timezone

from opsdesk.core.models.tickets import TicketPriority
from opsdesk.core.tickets.registry import ticket_type, ticket_types
from opsdesk.reporting.models import RecordFact
from opsdesk.reporting.periods import organisation_zone
from opsdesk.reporting.templatetags.reporting import duration_text, figure_text

DURATION_COLUMNS = ("mean", "median", "p90")


def _response(filename: str) -> tuple[HttpResponse, "csv._writer"]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response, csv.writer(response)


def _seconds(value) -> str:
    return "" if value is None else str(round(value))


def _is_duration(cell: dict) -> bool:
    return cell["kind"] == "duration" and cell["column"] in DURATION_COLUMNS


def table_lines(table: dict) -> list[list[str]]:
    """A dashboard table as CSV lines: the header, a line per group, the total."""
    sample = (
        table["rows"][0]["cells"] if table["rows"] else (table.get("total") or {}).get("cells", [])
    )
    header = [table["headers"][0]]
    for name, cell in zip(
        table["headers"][1:], sample or [None] * (len(table["headers"]) - 1), strict=False
    ):
        header.append(name)
        if cell is not None and _is_duration(cell):
            header.append(f"{name} (seconds)")
    lines = [header]
    for row in [*table["rows"], *([table["total"]] if table.get("total") else [])]:
        line = [row["label"]]
        for cell in row["cells"]:
            line.append(figure_text(cell["kind"], cell["column"], cell["value"]))
            if _is_duration(cell):
                line.append(_seconds(cell["value"]))
        lines.append(line)
    return lines


def _local(moment) -> str:
    return (
        ""
        if moment is None
        else timezone.localtime(moment, organisation_zone()).strftime("%Y-%m-%d %H:%M")
    )


def source_lines(source: str, data) -> list[list[str]]:
    """The lists that are not metrics (heat map, breaches coming ...) as CSV lines."""
    match source:
        case "heatmap":
            lines = [["Weekday", *(f"{hour:02}:00" for hour in data["hours"]), "Total"]]
            for row in data["rows"]:
                lines.append(
                    [row["label"], *(str(c["count"]) for c in row["cells"]), str(row["total"])]
                )
            return lines
        case "breaching_soon":
            lines = [["Number", "Record type", "Summary", "Due"]]
            return lines + [[r["number"], r["type"], r["summary"], _local(r["due"])] for r in data]
        case "major_incidents":
            lines = [
                [
                    "Number",
                    "Summary",
                    "Service",
                    "Declared",
                    "Ended",
                    "Duration",
                    "Duration (seconds)",
                ]
            ]
            for r in data:
                lines.append(
                    [
                        r["number"],
                        r["summary"],
                        r["service"],
                        _local(r["declared"]),
                        _local(r["ended"]),
                        duration_text(r["seconds"]) if r["seconds"] is not None else "Ongoing",
                        _seconds(r["seconds"]),
                    ]
                )
            return lines
        case "alerts":
            return [["Severity", "Alerts"], *([r["label"], str(r["count"])] for r in data["rows"])]
        case "heartbeats":
            return [
                ["Status", "Heartbeats"],
                *([r["label"], str(r["count"])] for r in data["rows"]),
            ]
        case "maintenance":
            return [["Window", "Starts", "Ends", "Weekly"]] + [
                [w["name"], _local(w["starts"]), _local(w["ends"]), "Yes" if w["weekly"] else "No"]
                for w in data
            ]
    return []


def dashboard_csv(board, panels: list[dict], *, table: str = "") -> HttpResponse:
    """One panel's table (``table`` = its key), or every table one after the other."""
    chosen = [p for p in panels if not table or p["panel"].key == table]
    name = f"{board.slug}-{table}" if table and chosen else board.slug
    response, writer = _response(name)
    for index, data in enumerate(chosen):
        if len(chosen) > 1:
            if index:
                writer.writerow([])
            writer.writerow([data["panel"].title])
        lines = (
            source_lines(data["panel"].source, data["source"])
            if data["panel"].source
            else table_lines(data["table"])
        )
        writer.writerows(lines)
    return response


def _state_label(record_type: str, state: str) -> str:
    try:
        return ticket_type(record_type).workflow.states.get(
            state, state.replace("_", " ").capitalize()
        )
    except KeyError:
        return state.replace("_", " ").capitalize()


def record_rows(facts, filters) -> list[dict]:
    """The records of a page as people read them, each with the address of its page."""
    labels = {tt.key: tt.label for tt in ticket_types()}
    priorities = dict(TicketPriority.choices)
    business = filters.business
    rows = []
    for fact in facts:
        if not isinstance(fact, RecordFact):
            rows.append(
                {"number": str(fact), "url": getattr(fact, "get_absolute_url", lambda: "")()}
            )
            continue
        resolve = fact.resolve_business_seconds if business else fact.resolve_seconds
        ack = fact.ack_business_seconds if business else fact.ack_seconds
        rows.append(
            {
                "fact": fact,
                "number": fact.number,
                "url": _record_url(fact),
                "type": labels.get(fact.record_type, fact.record_type),
                "summary": fact.short_description,
                "team": fact.team.name if fact.team_id else "",
                "assignee": str(fact.assignee) if fact.assignee_id else "",
                "service": fact.service.name if fact.service_id else "",
                "priority": priorities.get(fact.priority, "") if fact.priority else "",
                "state": _state_label(fact.record_type, fact.state),
                "opened": fact.opened_at,
                "resolved": fact.first_resolved_at,
                "ack": ack,
                "resolve": resolve,
            }
        )
    return rows


def _record_url(fact: RecordFact) -> str:
    """The record's own page, through the registry (the fact row is not the record)."""
    try:
        tt = ticket_type(fact.record_type)
    except KeyError:
        return ""
    record = tt.model(pk=fact.record_id)
    for name in ("number",):
        setattr(record, name, getattr(fact, name))
    try:
        return tt.url(record)
    except Exception:  # a url() that needs more of the record than its id
        found = tt.model.objects.filter(pk=fact.record_id).first()
        return tt.url(found) if found is not None else ""


def records_csv(found, qs, *, filters) -> HttpResponse:
    response, writer = _response(f"{found.key}-records")
    writer.writerow(
        [
            "Number",
            "Record type",
            "Summary",
            "Team",
            "Assigned to",
            "Service",
            "Priority",
            "State",
            "Opened",
            "First resolved",
            "Time to acknowledge",
            "Time to acknowledge (seconds)",
            "Time to resolve",
            "Time to resolve (seconds)",
        ]
    )
    for chunk_start in range(0, qs.count(), 2000):
        for row in record_rows(qs[chunk_start : chunk_start + 2000], filters):
            if "fact" not in row:
                writer.writerow([row["number"]])
                continue
            writer.writerow(
                [
                    row["number"],
                    row["type"],
                    row["summary"],
                    row["team"],
                    row["assignee"],
                    row["service"],
                    row["priority"],
                    row["state"],
                    _local(row["opened"]),
                    _local(row["resolved"]),
                    duration_text(row["ack"]) if row["ack"] is not None else "",
                    _seconds(row["ack"]),
                    duration_text(row["resolve"]) if row["resolve"] is not None else "",
                    _seconds(row["resolve"]),
                ]
            )
    return response
