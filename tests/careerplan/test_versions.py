"""People's versions (careerplan.versions), what moves them (careerplan.receivers), and
when "... ago" changes its words (careerplan.templatetags.moments)."""

import io
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.utils.timesince import timesince
from hypothesis import given
from hypothesis import strategies as st

from careerplan import receivers, versions
from careerplan.templatetags.moments import JUST_NOW, ago, next_change
from personaldata.registry import label_of, models_reaching_the_user
from tests.factories import UserFactory


def test_every_table_that_refers_to_a_person_says_whose_pages_it_changes():
    watched = {label_of(model) for model in receivers.PEOPLE}
    tables = {label_of(model) for model in models_reaching_the_user()}
    assert tables - watched - set(receivers.UNSHOWN) == set()
    assert watched & set(receivers.UNSHOWN) == set()


def test_a_version_lost_from_the_cache_comes_back_as_a_new_one(db):
    [first] = versions.versions_of(7)
    assert versions.versions_of(7) == [first]
    cache.delete(versions.version_key(7))
    assert versions.versions_of(7) != [first]


def test_a_change_moves_the_version_at_once_and_again_at_commit(
    db, django_capture_on_commit_callbacks
):
    [before] = versions.versions_of(7)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        versions.bump(7)
        [during] = versions.versions_of(7)
        versions.bump(7, 8)
    [after] = versions.versions_of(7)
    assert len({before, during, after}) == 3
    # One change at commit per transaction, however many rows moved the version.
    assert len(callbacks) == 1


@transaction.atomic
def write(user_id):
    """A model method's shape: Django reuses one atomic block object for every call."""
    versions.bump(user_id)
    return versions.versions_of(user_id)[0]


def test_every_transaction_of_one_atomic_function_moves_the_version_at_commit(
    transactional_db,
):
    for _ in range(3):
        during = write(7)
        assert versions.versions_of(7) != [during]


def test_a_change_queued_in_a_savepoint_rolled_back_is_queued_again(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        try:
            with transaction.atomic():
                versions.bump(7)
                raise RuntimeError
        except RuntimeError:
            pass
        versions.bump(8)
        [during] = versions.versions_of(8)
    assert len(callbacks) == 1
    assert versions.versions_of(8) != [during]


START = datetime(2026, 1, 1, tzinfo=UTC)


@given(
    st.integers(min_value=0, max_value=400 * 24 * 3600),
    st.integers(min_value=0, max_value=800 * 24 * 3600 * 10**6),
)
def test_ago_reads_the_same_until_its_next_change(offset, age_us):
    value = START + timedelta(seconds=offset)
    now = value + timedelta(microseconds=age_us)
    change = next_change(value, now)
    assert change > now

    def words(at):
        return "just now" if at - value < JUST_NOW else timesince(value, at)

    for moment in (now + (change - now) / 2, change - timedelta(microseconds=1)):
        assert words(moment) == words(now)


def test_just_now_turns_into_a_minute_after_sixty_seconds():
    value = START
    assert next_change(value, value + timedelta(seconds=10)) == value + JUST_NOW
    assert ago(None) == ""


def test_renewing_every_version_forgets_what_was_kept(db):
    people = [UserFactory(), UserFactory()]
    before = versions.versions_of(*(person.pk for person in people))
    call_command("renew_versions", stdout=io.StringIO())
    after = versions.versions_of(*(person.pk for person in people))
    assert all(old != new for old, new in zip(before, after, strict=True))
