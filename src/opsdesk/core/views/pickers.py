"""The option lists behind the people and team pickers (see ``opsdesk.core.pickers``).

Only people who work tickets may list people and teams: a requester must not be able to list
everyone. A requester who orders for a colleague finds them in the "colleagues" scope, by at
least ``COLLEAGUE_MIN_TYPED`` characters of their name, username or e-mail.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from opsdesk.core import pickers
from opsdesk.core.roles import is_agent
from opsdesk.core.views.generic import agent_required

MAX_QUERY = 100


def _query(request) -> str:
    # A picker's input sends its text under its own name, which ``field`` gives; ``q`` is for
    # everyone else.
    typed = request.GET.get("q") or request.GET.get(request.GET.get("field") or "q", "")
    return typed.strip()[:MAX_QUERY]


def _options(request, *, found, noun: str, to_options):
    rows = list(found[: pickers.PICK_LIMIT + 1])
    context = {
        "options": to_options(rows[: pickers.PICK_LIMIT]),
        "more": len(rows) > pickers.PICK_LIMIT,
        "noun": noun,
        "typed": bool(_query(request)),
    }
    return render(request, "core/pickers/_options.html", context)


COLLEAGUE_MIN_TYPED = 3


@login_required
def person_pick(request):
    query = _query(request)
    scope = request.GET.get("scope", "people")
    if scope == "colleagues":
        enough = len(query) >= COLLEAGUE_MIN_TYPED
        found = pickers.search_people(query, scope=scope) if enough else []
        return _options(request, found=found, noun="people", to_options=pickers.person_options)
    if not is_agent(request.user):
        raise PermissionDenied
    found = pickers.search_people(query, scope=scope) if query else []
    return _options(request, found=found, noun="people", to_options=pickers.person_options)


@agent_required
def team_pick(request):
    query = _query(request)
    found = pickers.search_teams(query) if query else []
    return _options(request, found=found, noun="teams", to_options=pickers.team_options)
