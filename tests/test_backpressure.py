"""Back-pressure: a view sends its next live frame only when the browser drew the previous one."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from comm_helpers import RecordingComm

from somwidget import SOM
from somwidget.widgets import HitMap
from somwidget.widgets.live import FramePacer

Comm = RecordingComm


def on_other_thread(fn, *args):
    t = threading.Thread(target=fn, args=args)
    t.start()
    t.join()


def test_pacer_never_blocks_without_a_browser():
    p = FramePacer(clock=lambda: 0.0)
    for f in range(1, 50):
        assert p.ready()
        p.sent(f)
    assert p.n_held == 0 and not p.acknowledged


def test_pacer_holds_until_the_drawn_frame_comes_back_from_another_thread():
    now = [0.0]
    p = FramePacer(stale_s=2.0, clock=lambda: now[0])
    p.sent(1)
    on_other_thread(p.ack, 1)  # the browser drew frame 1 (comm handled on another thread)
    assert p.ready()
    p.sent(2)
    now[0] = 1.9
    assert not p.ready() and p.in_flight  # frame 2 not drawn yet: hold
    assert p.n_held == 1
    on_other_thread(p.ack, 2)
    assert p.ready() and not p.in_flight
    p.sent(3)
    on_other_thread(p.ack, 1)  # an old answer arriving late does not count as frame 3
    assert not p.ready()


def test_pacer_lets_one_frame_go_when_the_answer_is_lost():
    now = [0.0]
    p = FramePacer(stale_s=2.0, clock=lambda: now[0])
    on_other_thread(p.ack, 0)
    p.sent(1)
    now[0] = 1.99
    assert not p.ready()
    now[0] = 2.0
    assert p.ready() and p.n_stale == 1


def test_pacer_does_not_wait_for_answers_handled_on_the_training_thread():
    # acks handled on this very thread could only come after training: never wait for them
    p = FramePacer(stale_s=100.0, clock=lambda: 0.0)
    p.ack(0)
    p.sent(1)
    assert p.ready()
    with pytest.raises(ValueError, match="stale_s"):
        FramePacer(stale_s=0)


@pytest.fixture()
def hitmap():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    som = SOM(mapsize=(6, 5), random_state=0).initialize(X)
    hm = HitMap(som, X)
    hm.comm = Comm()
    hm.throttle.max_rate_hz = 1e6
    hm.throttle.min_interval = 0.0  # only the back-pressure limits
    yield som, X, hm
    hm.close()


def test_a_view_in_a_fast_fit_sends_one_frame_per_drawn_frame(hitmap):
    som, X, hm = hitmap
    comm = hm.comm
    hm._handle_custom_msg({"drawn": hm.frame}, [])  # a browser shows the view (this thread)
    drawn: list[int] = []

    def train():  # training on a worker thread, as the Studio does; acks arrive on this one
        som.fit(X, epochs=40, callbacks=[hm])

    worker = threading.Thread(target=train)
    worker.start()
    worker.join()
    sent = comm.frames()
    # no browser answered while the worker trained: one live frame, then only the final one
    assert len(sent) == 2, sent
    assert hm.pacer.n_held >= 30
    # the browser draws the frame: the next live refresh goes out, and only one
    comm.messages.clear()
    hm._handle_custom_msg({"drawn": sent[-1]}, [])  # main thread != the next worker
    drawn.append(sent[-1])

    def two_epochs():
        som.fit(X, epochs=5, callbacks=[hm])

    w2 = threading.Thread(target=two_epochs)
    w2.start()
    w2.join()
    assert len(comm.frames()) == 2  # one live frame (then held) + the final state


def test_other_custom_messages_still_reach_the_widget(hitmap):
    _, _, hm = hitmap
    got = []
    hm.on_msg(lambda w, content, buffers: got.append(content))
    hm._handle_custom_msg({"hello": 1}, [])
    hm._handle_custom_msg({"drawn": "not a number"}, [])
    assert got == [{"hello": 1}]
    assert hm.pacer.drawn_frame is None
