"""A record number finds its record in any state, only for users who may see it."""

from opsdesk.core.search import find_by_number
from opsdesk.incidents.models import Incident


def test_number_finds_resolved_incident_case_insensitive_without_zeros(incident, desk_agent):
    Incident.objects.filter(pk=incident.pk).update(state="resolved")
    digits = str(int(incident.number[3:]))
    for text in (incident.number, incident.number.lower(), f"inc{digits}"):
        found = find_by_number(text, viewer=desk_agent)
        assert found is not None and found[1].pk == incident.pk


def test_number_does_not_leak_another_requesters_ticket(incident, requester_user):
    assert find_by_number(incident.number, viewer=requester_user) is None
    assert find_by_number(incident.number, viewer=incident.caller)[1].pk == incident.pk


def test_bad_input_finds_nothing(desk_agent):
    for text in ("", "x" * 5000, '"*AND(', "INC"):
        assert find_by_number(text, viewer=desk_agent) is None
