"""The demo's planted recurring failure: trend detection finds the reception kiosk calls."""

from io import StringIO

import pytest
from django.core.management import call_command

from opsdesk.incidents import demo as incidents_demo
from opsdesk.incidents.models import Incident
from opsdesk.problems.models import CandidateState, ProblemCandidate
from opsdesk.problems.trends.demo import MARK
from opsdesk.problems.trends.services import trend_detect

pytestmark = pytest.mark.django_db


def test_the_detector_finds_the_planted_failure_in_the_demo(monkeypatch):
    monkeypatch.setattr(incidents_demo, "TARGET", 600)  # fewer calls around it, same story
    call_command("demo", stdout=StringIO())
    kiosk = set(Incident.objects.filter(short_description__icontains="kiosk"))
    assert len(kiosk) >= 7
    # The demo ran the detector once; the kiosk calls are one open candidate.
    found = [
        c
        for c in ProblemCandidate.objects.filter(state=CandidateState.OPEN)
        if set(c.incidents.all()) & kiosk
    ]
    assert len(found) == 1
    assert set(found[0].incidents.all()) == kiosk
    assert "kiosk" in found[0].top_terms
    # Running it again offers nothing new about them.
    run = trend_detect()
    assert not any(set(c.incidents.all()) & kiosk for c in run.found)
    assert Incident.objects.filter(short_description__icontains=MARK).exists()
