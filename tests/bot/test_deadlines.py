"""Deadlines: a wait for a task that ends at the task's end or at the deadline, never later."""

import asyncio

from fengqiao.bot.deadlines import STEP, Deadlines


async def test_a_task_finishing_in_time_is_reported_at_once():
    deadlines = Deadlines()
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(asyncio.sleep(0.01, "done"))
    started = loop.time()
    assert await deadlines.wait(task, 5.0) is True
    assert loop.time() - started < 1.0 and task.result() == "done"


async def test_a_slow_task_is_left_running_at_its_deadline():
    deadlines = Deadlines()
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(asyncio.sleep(0.5, "late"))
    started = loop.time()
    assert await deadlines.wait(task, 0.2) is False
    waited = loop.time() - started
    assert 0.2 - STEP - 0.01 <= waited <= 0.2 + 0.05  # never late, at most a step early
    assert not task.cancelled() and await task == "late"  # it ran on


async def test_waits_with_deadlines_in_one_step_share_a_timer_and_each_wakes():
    deadlines = Deadlines()
    slow = [asyncio.create_task(asyncio.sleep(1)) for _ in range(20)]
    quick = asyncio.create_task(asyncio.sleep(0))
    results = await asyncio.gather(
        *(deadlines.wait(t, 0.1) for t in slow), deadlines.wait(quick, 0.1)
    )
    assert results == [False] * 20 + [True]
    assert deadlines._slots == {}  # every slot's timer has fired and let go of its waiters
    for t in slow:
        t.cancel()


async def test_a_zero_budget_answers_without_waiting_for_the_task():
    deadlines = Deadlines()
    task = asyncio.create_task(asyncio.sleep(0.3))
    assert await deadlines.wait(task, 0.0) is False
    task.cancel()


async def test_a_cancelled_wait_does_not_disturb_the_others_in_its_step():
    deadlines = Deadlines()
    slow = asyncio.create_task(asyncio.sleep(1))
    cancelled = asyncio.create_task(deadlines.wait(slow, 0.1))
    other = asyncio.create_task(deadlines.wait(slow, 0.1))
    await asyncio.sleep(0)
    cancelled.cancel()
    assert await other is False
    slow.cancel()
