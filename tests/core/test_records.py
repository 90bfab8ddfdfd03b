"""The shared create/update/delete path: model validation surfaces as field errors, never a 500."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from opsdesk.core.errors import InUse, StaleVersion, ValidationFailed
from opsdesk.core.models import AuditEntry, Team
from opsdesk.core.records import record_create, record_delete, validation_failed
from opsdesk.core.testing.api import assert_error_shape, client_for
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.incidents.testing import IncidentFactory

pytestmark = pytest.mark.django_db


def test_field_errors_from_clean_keep_their_field_names():
    failure = validation_failed(ValidationError({"end": ["End must be after start."]}))
    assert failure.fields == {"end": ["End must be after start."]}
    assert "End must be after start." in failure.message


def test_non_field_errors_are_reported_under_all():
    failure = validation_failed(ValidationError("Something is off."))
    assert failure.fields == {"__all__": ["Something is off."]}


def test_unique_clash_is_a_field_error_and_writes_nothing(admin_user_):
    TeamFactory(name="Network")
    with pytest.raises(ValidationFailed) as failed:
        record_create(Team, values={"name": "Network", "type": "technical"}, actor=admin_user_)
    assert "name" in failed.value.fields
    assert Team.objects.filter(name="Network").count() == 1


# --- delete -----------------------------------------------------------------------------------
def test_a_deletion_is_audited_with_what_the_record_held(admin_user_):
    member = UserFactory()
    team = TeamFactory(name="Database Administration", email="dba@example.com")
    team.members.add(member)
    with transaction.atomic():
        record_delete(team, actor=admin_user_)
    assert not Team.objects.filter(name="Database Administration").exists()
    entry = AuditEntry.objects.get(action="team.deleted")
    assert entry.actor == admin_user_
    assert entry.object_repr == "Database Administration"
    assert entry.changes["name"] == {"from": "Database Administration", "to": None}
    assert entry.changes["email"] == {"from": "dba@example.com", "to": None}
    assert entry.changes["members"] == {"from": [member.pk], "to": None}


def test_a_record_still_in_use_is_refused_by_name_and_nothing_is_deleted(admin_user_, caller):
    network = TeamFactory(name="Network")
    IncidentFactory(assignment_group=network, caller=caller)
    before = AuditEntry.objects.count()
    with pytest.raises(InUse) as refused, transaction.atomic():
        record_delete(network, actor=admin_user_)
    assert refused.value.status_code == 409
    assert refused.value.message == (
        "Network cannot be deleted: it is still used by 1 incident. "
        "Change those first, or deactivate it instead."
    )
    assert Team.objects.filter(pk=network.pk).exists()
    assert AuditEntry.objects.count() == before


def test_a_deletion_based_on_a_stale_version_is_refused(admin_user_):
    team = TeamFactory(name="Telephony")
    with pytest.raises(StaleVersion), transaction.atomic():
        record_delete(team, actor=admin_user_, expected_version=team.version + 1)
    assert Team.objects.filter(pk=team.pk).exists()


def test_deleting_a_team_in_use_through_the_api_is_a_409_that_says_why(admin_user_, caller):
    network = TeamFactory(name="Network")
    IncidentFactory(assignment_group=network, caller=caller)
    IncidentFactory(assignment_group=network, caller=caller)
    response = client_for(admin_user_).delete(reverse("team-detail", args=[network.pk]))
    error = assert_error_shape(response, 409)
    assert error["code"] == "in_use"
    assert "still used by 2 incidents" in error["message"]
    assert Team.objects.filter(pk=network.pk).exists()


def test_deleting_an_unused_team_through_the_api_is_audited(admin_user_):
    team = TeamFactory(name="Printers")
    response = client_for(admin_user_).delete(reverse("team-detail", args=[team.pk]))
    assert response.status_code == 204
    assert not Team.objects.filter(pk=team.pk).exists()
    assert AuditEntry.objects.get(action="team.deleted").changes["name"]["from"] == "Printers"
