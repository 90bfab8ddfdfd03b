"""``opsdesk reports rebuild``: every fact row recomputed, with progress and a summary."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict

from opsdesk.cli import main, two_word
from opsdesk.incidents import services
from opsdesk.incidents.testing import resolution_code
from opsdesk.reporting.models import RecordFact
from opsdesk.reporting.services import record_fact_refresh

pytestmark = pytest.mark.django_db
MOMENT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _orphan(record_type: str, record_id: int) -> RecordFact:
    """A fact row whose record is gone (deleted while the worker was down)."""
    return RecordFact.objects.create(
        record_type=record_type,
        record_id=record_id,
        number="GONE",
        state="new",
        opened_at=MOMENT,
        opened_on=MOMENT.date(),
        refreshed_at=MOMENT,
    )


def _incidents(desk_agent, caller, team):
    fixed = services.incident_open(
        actor=desk_agent, caller=caller, short_description="Printer jams", assignment_group=team
    )
    services.incident_transition(
        actor=desk_agent,
        incident=fixed,
        action="resolve",
        resolution_code=resolution_code(),
        resolution_notes="Cleared the tray",
    )
    waiting = services.incident_open(
        actor=desk_agent, caller=caller, short_description="VPN drops", assignment_group=team
    )
    return fixed, waiting


def _row(fact: RecordFact) -> dict:
    values = model_to_dict(fact, exclude=["id", "refreshed_at"])
    return values


def test_rebuild_recomputes_every_row_with_progress_and_a_summary(desk_agent, caller, team):
    fixed, waiting = _incidents(desk_agent, caller, team)
    RecordFact.objects.all().delete()
    _orphan("incident", 999_999)
    out = StringIO()
    call_command("reports_rebuild", stdout=out)
    text = out.getvalue()
    # Two incidents are the only tickets: 2 of 2 done, one line each 10% at least.
    assert "Rebuilding the fact rows of 2 records…" in text
    assert "2/2 fact rows (100%)" in text
    assert "Rebuilt 2 fact rows in " in text and "(incident 2)." in text
    rows = {f.record_id: _row(f) for f in RecordFact.objects.all()}
    assert set(rows) == {fixed.pk, waiting.pk}  # the orphan is gone
    assert rows[fixed.pk]["state"] == "resolved" and rows[fixed.pk]["is_open"] is False
    assert rows[waiting.pk]["is_open"] is True
    # The bulk path gives exactly what refreshing one record at a time gives.
    for record_id, row in rows.items():
        assert _row(record_fact_refresh(record_type="incident", record_id=record_id)) == row


def test_rebuild_of_one_record_type_leaves_the_others(desk_agent, caller, team):
    fixed, waiting = _incidents(desk_agent, caller, team)
    RecordFact.objects.all().delete()
    task_orphan = _orphan("task", 12)
    out = StringIO()
    call_command("reports_rebuild", "--record-type", "incident", stdout=out)
    assert "Rebuilt 2 fact rows" in out.getvalue()
    assert set(RecordFact.objects.values_list("record_type", "record_id")) == {
        ("incident", fixed.pk),
        ("incident", waiting.pk),
        ("task", task_orphan.record_id),
    }
    call_command("reports_rebuild", stdout=StringIO())
    assert not RecordFact.objects.filter(record_type="task").exists()


def test_rebuild_with_nothing_to_do_says_so():
    out = StringIO()
    call_command("reports_rebuild", stdout=out)
    assert "Rebuilding the fact rows of 0 records…" in out.getvalue()
    assert "Rebuilt 0 fact rows in " in out.getvalue()


def test_an_unknown_record_type_is_refused_with_the_choices():
    with pytest.raises(CommandError) as refused:
        call_command("reports_rebuild", "--record-type", "spaceship")
    assert "invalid choice: 'spaceship'" in str(refused.value)
    assert "incident" in str(refused.value)


def test_the_cli_runs_reports_rebuild_as_two_words(capsys):
    assert two_word(["opsdesk", "reports", "rebuild", "--record-type", "task"]) == [
        "opsdesk",
        "reports_rebuild",
        "--record-type",
        "task",
    ]
    assert two_word(["opsdesk", "demo"]) == ["opsdesk", "demo"]
    main(["opsdesk", "reports"])
    assert "usage: opsdesk reports ACTION" in capsys.readouterr().out
    main(["opsdesk", "reports", "rebuild", "--record-type", "incident"])
    assert "Rebuilt 0 fact rows" in capsys.readouterr().out
