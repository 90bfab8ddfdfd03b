"""The demo approval schemes load, and loading twice adds nothing."""

import pytest

from opsdesk.approvals import demo as approvals_demo
from opsdesk.approvals.models import ApprovalScheme
from opsdesk.core import demo as core_demo

pytestmark = pytest.mark.django_db


def test_demo_schemes_load_once():
    lines = []
    core_demo.load(progress=lines.append)
    approvals_demo.load(progress=lines.append)
    assert set(ApprovalScheme.objects.values_list("name", flat=True)) == {
        "Hardware",
        "Privileged access",
    }
    assert ApprovalScheme.objects.get(name="Hardware").stages.count() == 2
    approvals_demo.load(progress=lines.append)
    assert ApprovalScheme.objects.count() == 2
    assert lines[-1] == "0 approval schemes added"
