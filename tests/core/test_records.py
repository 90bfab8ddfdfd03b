"""The shared create/update path: model validation surfaces as field errors, never a 500."""

import pytest
from django.core.exceptions import ValidationError

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import Team
from opsdesk.core.records import record_create, validation_failed
from opsdesk.core.testing.factories import TeamFactory

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
