"""Throttle and the live-update mixin, with an injected clock."""

from __future__ import annotations

import pytest

from somwidget.widgets.live import LiveUpdateMixin, Throttle


def test_throttle_allows_at_most_rate_per_second():
    t = Throttle(max_rate_hz=10.0)
    times = [0.0, 0.05, 0.099, 0.1, 0.15, 0.2, 0.2999, 0.31, 1.0]
    got = [t.ready(now) for now in times]
    assert got == [True, False, False, True, False, True, False, True, True]


def test_throttle_rate_over_a_simulated_second():
    t = Throttle(max_rate_hz=15.0)
    answers = [t.ready(i * 0.001) for i in range(1000)]  # 1000 calls in one second
    assert sum(answers) == 15


def test_throttle_uses_injected_clock_and_reset():
    now = [0.0]
    t = Throttle(max_rate_hz=2.0, clock=lambda: now[0])
    assert t.ready()
    now[0] = 0.4
    assert not t.ready()
    t.reset()
    assert t.ready()
    now[0] = 0.9
    assert t.ready()


def test_throttle_validates_rate():
    with pytest.raises(ValueError, match="max_rate_hz"):
        Throttle(0)
    with pytest.raises(TypeError, match="max_rate_hz"):
        Throttle("fast")


class Recorder(LiveUpdateMixin):
    def __init__(self, clock):
        self.calls = []
        self.__dict__["_live_throttle"] = Throttle(self.max_rate_hz, clock=clock)

    def refresh(self, som=None, **precomputed):
        self.calls.append(som)


class State:
    def __init__(self, som, final=False):
        self.som, self.final = som, final


def test_mixin_refreshes_throttled_and_always_the_final_state():
    now = [0.0]
    r = Recorder(clock=lambda: now[0])
    assert r(State("a")) is None  # never stops training
    assert r(State("b")) is None  # same instant: throttled
    now[0] = 0.01
    r(State("c", final=True))  # final is always drawn
    now[0] = 1.0
    r(State("d"))
    assert r.calls == ["a", "c", "d"]
