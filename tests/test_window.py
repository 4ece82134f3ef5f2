"""The writes-in-flight window: it opens while the destination answers as fast as ever, closes
when answers show a queue, stays between START and the pool's size, and the writers never
have more in flight than it allows (real threads)."""

from __future__ import annotations

import threading
import time

from davtui.engine.sync.window import START, Window
from davtui.engine.sync.writers import Writers


def test_the_window_opens_on_fast_answers_up_to_the_pool() -> None:
    window = Window(6)
    assert window.open == START
    for _ in range(START):
        window.acquire()
    for _ in range(5):
        window.answered(0.05)  # as fast as the fastest: nothing waits at the server
    assert window.open == 6
    window.answered(0.2)  # 4 in flight, 3 of them estimated queued: hold
    assert window.open == 6


def test_the_window_closes_when_the_server_queues_but_not_below_start() -> None:
    window = Window(16)
    window.acquire()
    for _ in range(12):
        window.answered(0.05)
    assert window.open == 16
    for _ in range(15):
        window.acquire()  # 16 in flight
    window.answered(1.0)  # 16 x (1 - 0.05 / 1.0) = 15 queued
    assert window.open == 15
    taken = threading.Event()
    threading.Thread(target=lambda: (window.acquire(), taken.set()), daemon=True).start()
    window.release()  # the slot a write gives back is the one the window closed
    assert not taken.wait(0.3)
    window.release()
    assert taken.wait(5)
    for _ in range(20):
        window.answered(1.0)
    assert window.open == START


def test_writers_keep_to_the_window() -> None:
    running, widest = 0, 0
    lock = threading.Lock()

    def work(_ticket: int) -> None:
        nonlocal running, widest
        with lock:
            running += 1
            widest = max(widest, running)
        time.sleep(0.02)
        with lock:
            running -= 1

    with Writers(16) as writers:
        for _ in range(24):
            writers.submit(work)
        writers.drain()
    assert 1 <= widest <= START, "no answer came back fast: the window stayed at its start"
