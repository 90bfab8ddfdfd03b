"""The rotation arithmetic on plain data: handoffs, DST, priorities, restrictions, overrides."""

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.oncall.rotation import (
    Cover,
    Layer,
    Window,
    final_schedule,
    layer_spans,
    on_call_at,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def weekly(people, *, priority=1, zone="Europe/London", start=None, **kwargs):
    return Layer(
        priority=priority,
        participants=tuple(people),
        rotation_start=start or datetime(2025, 3, 3, 9, tzinfo=LONDON),
        turn=kwargs.pop("turn", "weekly"),
        handoff=kwargs.pop("handoff", time(9)),
        time_zone=zone,
        **kwargs,
    )


def local(zone, *args):
    return datetime(*args, tzinfo=zone)


def test_weekly_handoff_stays_at_nine_local_across_spring_forward():
    layer = weekly("abc")
    spans = final_schedule([layer], [], local(LONDON, 2025, 3, 3, 9), local(LONDON, 2025, 4, 14, 9))
    handoffs = [s.end.astimezone(LONDON) for s in spans.spans[:-1]]
    assert all(h.weekday() == 0 and (h.hour, h.minute) == (9, 0) for h in handoffs)
    # 30 March 2025 is the spring change: that turn is one hour shorter in real time.
    lengths = [s.end - s.start for s in spans.spans]
    assert timedelta(days=7, hours=-1) in lengths
    assert [s.user for s in spans.spans] == list("abcabc")


def test_daily_handoff_stays_at_nine_local_across_autumn_back():
    layer = weekly(
        "ab", turn="daily", start=local(NEW_YORK, 2025, 10, 30, 9), zone="America/New_York"
    )
    result = final_schedule(
        [layer], [], local(NEW_YORK, 2025, 10, 30, 9), local(NEW_YORK, 2025, 11, 5, 9)
    )
    assert [(s.start.astimezone(NEW_YORK).hour) for s in result.spans] == [9] * 6
    # 2 November 2025 the clocks go back in New York: that turn lasts 25 hours.
    assert [s.end - s.start for s in result.spans].count(timedelta(hours=25)) == 1


def test_one_person_rotation_is_one_unbroken_span():
    layer = weekly(["solo"])
    result = final_schedule([layer], [], local(LONDON, 2025, 3, 3, 9), local(LONDON, 2025, 6, 1))
    assert len(result.spans) == 1 and result.spans[0].user == "solo"
    assert result.gaps == []


def test_before_the_rotation_starts_is_a_gap():
    layer = weekly("ab")
    result = final_schedule([layer], [], local(LONDON, 2025, 3, 1), local(LONDON, 2025, 3, 4))
    assert result.gaps[0].start == local(LONDON, 2025, 3, 1)
    assert result.gaps[0].end == local(LONDON, 2025, 3, 3, 9)


def test_rotation_starting_midweek_hands_over_on_its_own_weekday():
    layer = weekly("ab", start=local(LONDON, 2025, 3, 5, 12))  # Wednesday noon, handoff 09:00
    result = final_schedule([layer], [], local(LONDON, 2025, 3, 5, 12), local(LONDON, 2025, 3, 20))
    assert result.spans[0].end == local(LONDON, 2025, 3, 12, 9)
    assert [s.user for s in result.spans] == ["a", "b", "a"]


def test_custom_turns_are_exact_seconds():
    start = local(LONDON, 2025, 3, 29, 20).astimezone(UTC)  # the clocks change in turn two
    layer = weekly("abc", turn="custom", turn_seconds=12 * 3600, start=start)
    result = final_schedule([layer], [], start, start + timedelta(hours=48))
    assert all(s.end - s.start == timedelta(hours=12) for s in result.spans)
    assert [s.user for s in result.spans] == list("abca")


def test_higher_layer_wins_and_restricted_layer_yields_outside_its_windows():
    base = weekly(["day"])
    nights = weekly(
        ["night"],
        priority=2,
        turn="daily",
        restrictions=(Window(frozenset(range(5)), time(18), time(8)),),
    )
    assert on_call_at([base, nights], [], local(LONDON, 2025, 3, 4, 12)) == "day"
    assert on_call_at([base, nights], [], local(LONDON, 2025, 3, 4, 23)) == "night"
    assert on_call_at([base, nights], [], local(LONDON, 2025, 3, 5, 7, 59)) == "night"
    # Friday's window runs into Saturday 08:00; after that the weekly layer below answers.
    assert on_call_at([base, nights], [], local(LONDON, 2025, 3, 8, 3)) == "night"
    assert on_call_at([base, nights], [], local(LONDON, 2025, 3, 8, 12)) == "day"


def test_restriction_windows_follow_local_time_across_dst():
    nights = weekly(
        ["night"], turn="daily", restrictions=(Window(frozenset(range(7)), time(18), time(8)),)
    )
    spans = layer_spans(nights, local(LONDON, 2025, 3, 28), local(LONDON, 2025, 4, 2))
    assert {s.start.astimezone(LONDON).hour for s in spans} <= {0, 18}
    assert {s.end.astimezone(LONDON).hour for s in spans} <= {0, 8}


def test_overrides_win_and_the_later_created_wins_where_they_overlap():
    layer = weekly("ab")
    first = Cover(local(LONDON, 2025, 3, 4, 10), local(LONDON, 2025, 3, 4, 16), "x", (1, 1))
    later = Cover(local(LONDON, 2025, 3, 4, 12), local(LONDON, 2025, 3, 4, 14), "y", (2, 2))
    result = final_schedule(
        [layer], [later, first], local(LONDON, 2025, 3, 4, 9), local(LONDON, 2025, 3, 4, 18)
    )
    assert [(s.start.astimezone(LONDON).hour, s.user) for s in result.spans] == [
        (9, "a"),
        (10, "x"),
        (12, "y"),
        (14, "x"),
        (16, "a"),
    ]


def test_gap_between_restricted_windows_is_reported():
    nights = weekly(
        ["n"], turn="daily", restrictions=(Window(frozenset(range(7)), time(18), time(8)),)
    )
    result = final_schedule(
        [nights], [], local(LONDON, 2025, 3, 4, 0), local(LONDON, 2025, 3, 5, 0)
    )
    assert [
        (g.start.astimezone(LONDON).hour, g.end.astimezone(LONDON).hour) for g in result.gaps
    ] == [(8, 18)]


def test_empty_rotation_and_no_layers_are_all_gap():
    start, end = local(LONDON, 2025, 3, 4), local(LONDON, 2025, 3, 5)
    assert final_schedule([weekly([])], [], start, end).gaps[0].end == end
    assert on_call_at([], [], start) is None


def test_naive_instants_are_refused():
    with pytest.raises(ValueError):
        final_schedule([weekly("a")], [], datetime(2025, 3, 4), datetime(2025, 3, 5))


# --- properties -----------------------------------------------------------------------------
ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "UTC", "Asia/Kolkata"]
instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@st.composite
def layers(draw, priority):
    zone = draw(st.sampled_from(ZONES))
    turn = draw(st.sampled_from(["daily", "weekly", "custom"]))
    restrictions = ()
    if draw(st.booleans()):
        restrictions = (
            Window(
                frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
                time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30]))),
                time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30]))),
            ),
        )
    return Layer(
        priority=priority,
        participants=tuple(draw(st.lists(st.sampled_from("abcde"), min_size=1, max_size=4))),
        rotation_start=draw(instants),
        turn=turn,
        handoff=time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30]))),
        time_zone=zone,
        turn_seconds=draw(st.integers(3600, 9 * 86400)) if turn == "custom" else None,
        restrictions=restrictions,
    )


@st.composite
def setups(draw):
    count = draw(st.integers(0, 3))
    stack = [draw(layers(priority)) for priority in range(count)]
    covers = []
    for rank in range(draw(st.integers(0, 3))):
        start = draw(instants)
        covers.append(
            Cover(start, start + timedelta(hours=draw(st.integers(1, 200))), "o", (rank,))
        )
    start = draw(instants)
    end = start + timedelta(hours=draw(st.integers(1, 24 * 40)))
    return stack, covers, start, end


@settings(max_examples=60, deadline=None)
@given(setups())
def test_spans_and_gaps_tile_the_window_exactly(setup):
    stack, covers, start, end = setup
    result = final_schedule(stack, covers, start, end)
    pieces = sorted([*result.spans, *result.gaps], key=lambda p: p.start)
    assert pieces[0].start == start and pieces[-1].end == end
    for before, after in itertools.pairwise(pieces):
        assert before.end == after.start
    assert all(p.start < p.end for p in pieces)
    for before, after in zip(result.spans, result.spans[1:], strict=False):
        assert not (before.end == after.start and before.user == after.user), "not merged"


@settings(max_examples=60, deadline=None)
@given(setups(), st.floats(0, 1))
def test_who_is_on_call_at_t_agrees_with_the_schedule(setup, fraction):
    stack, covers, start, end = setup
    at = start + (end - start) * fraction
    result = final_schedule(stack, covers, start, end)
    expected = next((s.user for s in result.spans if s.start <= at < s.end), None)
    if at < end:
        assert on_call_at(stack, covers, at) == expected


@settings(max_examples=50, deadline=None)
@given(setups(), st.floats(0, 1))
def test_splitting_the_window_changes_nothing(setup, fraction):
    stack, covers, start, end = setup
    middle = start + (end - start) * fraction
    whole = final_schedule(stack, covers, start, end)
    left = final_schedule(stack, covers, start, middle)
    right = final_schedule(stack, covers, middle, end)
    joined = [*left.spans]
    for span in right.spans:
        if joined and joined[-1].end == span.start and joined[-1].user == span.user:
            joined[-1] = type(span)(joined[-1].start, span.end, span.user)
        else:
            joined.append(span)
    assert joined == whole.spans


@settings(max_examples=50, deadline=None)
@given(layers(1), instants)
def test_every_turn_of_a_daily_or_weekly_layer_hands_over_at_the_local_handoff(layer, start):
    if layer.turn == "custom":
        return
    spans = layer_spans(
        Layer(**{**layer.__dict__, "restrictions": ()}), start, start + timedelta(days=30)
    )
    zone = ZoneInfo(layer.time_zone)
    for span in spans[:-1]:
        handoff = span.end.astimezone(zone)
        # A handoff in a skipped hour happens at the same instant an hour later on the clock.
        assert (handoff.hour, handoff.minute) in {
            (layer.handoff.hour, layer.handoff.minute),
            ((layer.handoff.hour + 1) % 24, layer.handoff.minute),
        }
