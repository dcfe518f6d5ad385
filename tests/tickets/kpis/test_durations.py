"""The duration rollups' buckets: the database and Python agree on each duration's
bucket, and each bucket's bounds hold exactly its durations."""

import pytest

from tickets.models import Customer, Ticket
from tickets.services.kpi_durations import bucket_bounds, bucket_expression, bucket_of

pytestmark = pytest.mark.django_db

DURATIONS = [0, 1, 59, 60, 61, 69, 70, 599, 600, 659, 660, 3599, 3600, 4199, 4200, 35_999, 36_000, 359_999, 360_000,
             419_999, 420_000, 2_000_000]  # fmt: skip


def test_the_database_and_python_put_a_duration_in_the_same_bucket():
    customer = Customer.objects.create(name="Durations")
    for seconds in DURATIONS:
        Ticket.objects.create(subject="s", channel="email", customer=customer, first_response_s=seconds)
    in_database = dict(
        Ticket.objects.annotate(bucket=bucket_expression("first_response_s")).values_list("first_response_s", "bucket")
    )
    assert in_database == {seconds: bucket_of(seconds) for seconds in DURATIONS}


def test_buckets_follow_each_other_without_gaps():
    for bucket in range(bucket_of(2_000_000)):
        low, high = bucket_bounds(bucket)
        assert bucket_of(low) == bucket and bucket_of(high - 1) == bucket
        assert bucket_bounds(bucket + 1)[0] == high
