"""How a run puts its waits on the servers to use: stored state read while listings are in
flight, the few changed items of the next collections read while this one is written, and
collections with few items to read back verified a few at once."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from davtui.engine.sync.plan import CollectionPlan
from davtui.engine.sync.records import ItemRecord

T = TypeVar("T")
R = TypeVar("R")

#: Listings (collections of both sides) and collections with few items read at once; each
#: waits mostly on its server.
LISTINGS = 4
#: Items to read at most for a collection to be read beside others (one multiget batch).
FEW = 100


#: Stored pages read at most while a pair's listings are in flight: enough to hide a round
#: trip; unbounded, a slow listing of a 40,000-item calendar had 22,000 records (18 MB)
#: read early and held.
EARLY_PAGES = 2


def meanwhile(
    pages: Iterator[list[ItemRecord]], listings: list[Future[Any]]
) -> Iterator[list[ItemRecord]]:
    """The stored pages, those read while the listings are still in flight first: the wait
    is put to use, and once the listings are in, the rest streams through the plan."""
    early: list[list[ItemRecord]] = []
    while len(early) < EARLY_PAGES and not all(f.done() for f in listings):
        if (page := next(pages, None)) is None:
            break
        early.append(page)
    return itertools.chain(early, pages)


def read_ahead(
    plans: list[CollectionPlan],
    read: Callable[[CollectionPlan], Iterable[T]],
    size: Callable[[CollectionPlan], int],
) -> Iterator[tuple[CollectionPlan, Iterable[T]]]:
    """Each plan, in order, with its items: those of plans with FEW items or fewer are read
    ahead, LISTINGS at a time, so that a run with a few changes in each of many collections
    waits on one read at a time no more (six collections over a 40 ms link: six round trips
    in a row); the others stream when their turn comes (one large stream in memory at a
    time). The items still go to the writers one collection after the other."""
    few = deque(plan for plan in plans if size(plan) <= FEW)
    pool = ThreadPoolExecutor(LISTINGS, thread_name_prefix="davtui-ahead")
    ahead: dict[int, Future[list[T]]] = {}
    try:
        for plan in plans:
            while few and len(ahead) < LISTINGS:
                early = few.popleft()
                ahead[id(early)] = pool.submit(_whole, read, early)
            future = ahead.pop(id(plan), None)
            yield plan, future.result() if future else read(plan)
    finally:
        pool.shutdown(cancel_futures=True)


def _whole(read: Callable[[CollectionPlan], Iterable[T]], plan: CollectionPlan) -> list[T]:
    """All the items of `plan` at once (read ahead on a pool's thread)."""
    return list(read(plan))


def few_at_once(
    plans: list[CollectionPlan],
    work: Callable[[CollectionPlan], R],
    size: Callable[[CollectionPlan], int],
) -> list[R]:
    """`work(plan)` for every plan, results in order: plans with FEW items or fewer to read,
    LISTINGS at once (verifying a run that changed a few items in each of many collections
    waits on one request at a time no more), the others one by one on this thread (their
    limit is the server, and one stream of items at a time keeps memory flat). The act phase
    reads ahead instead (`read_ahead`): one thread hands its items out, in order."""
    with ThreadPoolExecutor(LISTINGS, thread_name_prefix="davtui-few") as pool:
        few = {id(plan): pool.submit(work, plan) for plan in plans if size(plan) <= FEW}
        many = {id(plan): work(plan) for plan in plans if id(plan) not in few}
        return [few[id(plan)].result() if id(plan) in few else many[id(plan)] for plan in plans]
