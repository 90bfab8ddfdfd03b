"""Demo on-call data: every team has a rota and a policy, and loading twice adds nothing."""

import pytest

from opsdesk.core import demo as core_demo
from opsdesk.core.models import Team
from opsdesk.oncall import demo, selectors
from opsdesk.oncall.models import EscalationPolicy, Layer, Override, Schedule


@pytest.mark.django_db
def test_demo_gives_every_team_a_rota_and_is_idempotent():
    core_demo.load(progress=lambda text: None)
    demo.load(progress=lambda text: None)
    counts = (Schedule.objects.count(), EscalationPolicy.objects.count(), Override.objects.count())
    demo.load(progress=lambda text: None)
    assert counts == (
        Schedule.objects.count(),
        EscalationPolicy.objects.count(),
        Override.objects.count(),
    )
    assert counts[0] == counts[1] == Team.objects.count() == 8
    assert counts[2] == 1
    assert Layer.objects.exclude(restrictions=[]).count() == 2
    for team in Team.objects.all():
        assert len(selectors.oncall_now(team=team)) == 1, team
        policy = team.escalation_policies.get()
        assert selectors.escalation_targets(policy=policy, step_index=1) == [team.lead]
