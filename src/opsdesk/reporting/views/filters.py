"""The filter form of every reports page: read from the URL, shown with field errors."""

from urllib.parse import urlencode

from opsdesk.reporting.metrics import FilterError, Filters
from opsdesk.reporting.selectors import filter_options

CHOICE_FILTERS = ("team", "service", "priority", "record_type")


def read_filters(query) -> tuple[Filters, dict[str, list[str]]]:
    """The filters of a query (dashboards group by themselves, so ``group_by`` is not read),
    and the field errors; on errors the default period stands in."""
    values = query.copy()
    values.pop("group_by", None)
    try:
        filters = Filters.from_query(values)
    except FilterError as exc:
        return Filters.default(), exc.errors
    options = filter_options()
    errors = {}
    for name in ("team", "service"):
        value = getattr(filters, name)
        if value is not None and str(value) not in {key for key, _ in options[name]}:
            errors[name] = ["Choose one of the options."]
    if errors:
        return Filters.default(), errors
    return filters, {}


def filter_context(query, filters: Filters, errors: dict) -> dict:
    """What the form needs: the values as typed, the options, errors and the shared query."""
    options = filter_options()
    typed = {name: (query.get(name) or "").strip() for name in ("start", "end", *CHOICE_FILTERS)}
    if not errors:
        typed.update(start=filters.start.isoformat(), end=filters.end.isoformat())
    chosen = []
    for name in CHOICE_FILTERS:
        labels = dict(options[name])
        if typed[name] in labels:
            chosen.append(labels[typed[name]])
    return {
        "filters": filters,
        "errors": errors,
        "typed": typed,
        "business": filters.business,
        "options": options,
        "chosen": chosen,
        "filter_fields": [
            ("team", "Team", "All teams", options["team"]),
            ("service", "Service", "All services", options["service"]),
            ("priority", "Priority", "All priorities", options["priority"]),
            ("record_type", "Record type", "All record types", options["record_type"]),
        ],
        "query": urlencode(filters.to_query()) if not errors else "",
    }
