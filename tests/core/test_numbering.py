"""Human record numbers: formatted, increasing, unique under concurrent creation."""

import threading

import pytest
from django.db import connection, transaction

from opsdesk.core.numbering import number_next

pytestmark = pytest.mark.django_db


def test_numbers_start_at_1001_and_increase_per_prefix():
    with transaction.atomic():
        assert number_next(prefix="INC") == "INC0001001"
        assert number_next(prefix="INC") == "INC0001002"
        assert number_next(prefix="PRB") == "PRB0001001"


def test_a_rolled_back_creation_does_not_burn_its_number():
    with pytest.raises(ValueError), transaction.atomic():
        number_next(prefix="REQ")
        raise ValueError
    with transaction.atomic():
        assert number_next(prefix="REQ") == "REQ0001001"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_creators_never_share_a_number(postgres_only):
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker():
        try:
            start.wait()
            for _ in range(25):
                with transaction.atomic():
                    value = number_next(prefix="TASK")
                with lock:
                    results.append(value)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 200
    assert len(set(results)) == 200
    assert sorted(results)[-1] == "TASK0001200"
