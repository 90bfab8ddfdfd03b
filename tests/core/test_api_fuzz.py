"""The OpenAPI schema against the running API: every operation, as an admin and a requester.

Schemathesis loads ``/api/schema/`` through the WSGI app and sends a few generated requests to
each operation. No response may be a server error, and every response must match what the
schema documents for its status code and content type.
"""

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings

from opsdesk.core.roles import Role
from opsdesk.core.services import token_create
from opsdesk.core.testing.factories import UserFactory
from opsdesk.wsgi import application

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

# The inbound mail endpoint takes one raw message; it is sent as the bytes generated for it.
schemathesis.serializer.alias("message/rfc822", "application/octet-stream")

EXAMPLES = 3
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def wsgi_in_test_transaction():
    """Requests run inside the test's transaction, as Django's test client does it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _fuzz(schema, headers) -> tuple[int, list[str]]:
    exercised, failures = 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        sent = _run(operation, headers, failures)
        if sent:
            exercised += 1
    return exercised, failures


def _run(operation, headers, failures) -> int:
    sent = []

    @FUZZ
    @given(case=operation.as_strategy())
    def run(case):
        sent.append(1)
        try:
            case.call_and_validate(
                headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )
        except AssertionError as failure:  # schemathesis' check failures are AssertionErrors
            failures.append(f"{operation.label}: {str(failure)[:1500]}")
            raise

    try:
        run()
    except AssertionError:
        pass
    except Exception as error:  # the fuzz itself could not run this operation
        failures.append(f"{operation.label}: {type(error).__name__}: {str(error)[:1500]}")
    return len(sent)


@pytest.mark.django_db
@pytest.mark.parametrize("roles", [[Role.ADMINISTRATOR], [Role.REQUESTER]], ids=str)
def test_every_operation_answers_as_documented(roles, wsgi_in_test_transaction, settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("one database is enough for the fuzz; a 500 there aborts the transaction")
    user = UserFactory(username="fuzzer", roles=roles)
    _, raw = token_create(actor=None, user=user, name="fuzz")
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_in_test_transaction)
    listed = sum(1 for _ in schema.get_all_operations())
    # Plain answers: the WSGI transport asks for gzip as a browser would, but unlike one it
    # does not unpack what it gets (compression has its own tests, test_compression.py).
    headers = {"Authorization": f"Bearer {raw}", "Accept-Encoding": "identity"}
    exercised, failures = _fuzz(schema, headers)
    assert not failures, "\n\n".join(failures)
    assert listed > 150 and exercised == listed, (exercised, listed)
