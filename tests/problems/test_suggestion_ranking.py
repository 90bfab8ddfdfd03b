"""Known-error suggestions as the record changes: reworded symptoms are found by their new
words (PostgreSQL ranks a stored vector its trigger keeps current), a CI lifts like a service,
and of equal matches the newest comes first."""

import pytest

from opsdesk.problems import services
from opsdesk.problems.selectors import known_error_suggestions
from tests.problems.test_known_errors import known_error

pytestmark = pytest.mark.django_db


def test_reworded_symptoms_are_found_by_their_new_words(desk_agent, team):
    problem = known_error(
        desk_agent, team, "Turnstile fault", "VPN drops hourly", "Use the side gate."
    )
    assert known_error_suggestions(viewer=desk_agent, text="vpn") == [problem]
    services.problem_update(
        actor=desk_agent, problem=problem, symptoms="Badge reader beeps red at the turnstile"
    )
    assert known_error_suggestions(viewer=desk_agent, text="vpn") == []
    assert known_error_suggestions(viewer=desk_agent, text="badge beeps red") == [problem]


def test_the_same_ci_lifts_a_known_error(desk_agent, team):
    from tests.cmdb.factories import CIFactory

    printer = CIFactory(name="PRN-LDN-04")
    elsewhere = known_error(desk_agent, team, "Paper jam E42", "Jams at E42", "Open the flap")
    on_ci = known_error(desk_agent, team, "Toner smears", "Prints smear", "Shake the toner")
    on_ci.cis.add(printer)
    found = known_error_suggestions(viewer=desk_agent, text="paper jam", ci_id=printer.pk)
    assert found == [on_ci, elsewhere]


def test_of_equal_matches_the_newest_comes_first(desk_agent, team):
    older = known_error(desk_agent, team, "Payslip PDF times out", "Spins", "Use the archive")
    newer = known_error(desk_agent, team, "Payslip PDF times out", "Spins", "Use the archive")
    assert known_error_suggestions(viewer=desk_agent, text="payslip") == [newer, older]
