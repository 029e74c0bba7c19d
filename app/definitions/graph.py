"""The task graph of a DAG definition: dependency checks and transitive priority weights.

Tasks are numbered by their place in the document; every function here works on those numbers
and reports findings as numbers too (the definition module words the messages). Everything is
iterative and linear or close to it, because a 10,000-task chain must neither hit the recursion
limit nor take long: the order comes from Kahn's algorithm, cycles from Kosaraju's, and the
weights use Python ints as bitsets (one bit per task) instead of per-task set unions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TaskGraph:
    """Dependencies by task number; ``order`` is shorter than the task list exactly when there is a cycle."""

    parents: list[list[int]]  # each task's distinct upstream tasks, in the order first listed
    children: list[list[int]]  # each task's downstream tasks, in task order
    order: list[int]  # topological: every task after its parents
    duplicates: list[int]  # tasks whose task_id an earlier task already has
    unknown: list[tuple[int, int]]  # (task, position in its upstream list) naming no task

    def cycles(self) -> list[list[int]]:
        return _find_cycles(self.order, self.parents, self.children) if self.has_cycle else []

    @property
    def has_cycle(self) -> bool:
        return len(self.order) < len(self.parents)


def task_graph(ids: Sequence[str | None], upstreams: Sequence[Sequence[str]]) -> TaskGraph:
    """The graph of tasks ``ids`` (None: a task without a valid id) and their upstream id lists.

    A repeated task_id names its first task; an upstream id naming no task is left out, as is a
    repeated one.
    """
    index: dict[str, int] = {}
    duplicates = []
    for i, task_id in enumerate(ids):
        if task_id is None:
            continue
        if task_id in index:
            duplicates.append(i)
        else:
            index[task_id] = i
    parents: list[list[int]] = []
    unknown = []
    for i, ups in enumerate(upstreams):
        seen: dict[int, None] = {}
        for j, up in enumerate(ups):
            if up in index:
                seen[index[up]] = None
            else:
                unknown.append((i, j))
        parents.append(list(seen))
    children: list[list[int]] = [[] for _ in parents]
    for i, task_parents in enumerate(parents):
        for p in task_parents:
            children[p].append(i)
    return TaskGraph(parents, children, _topological_order(parents, children), duplicates, unknown)


def _topological_order(parents: list[list[int]], children: list[list[int]]) -> list[int]:
    """Kahn's algorithm: tasks on or downstream of a cycle never reach zero pending parents."""
    pending = [len(ups) for ups in parents]
    order = [v for v, count in enumerate(pending) if count == 0]
    for v in order:  # `order` grows while we iterate: it doubles as the queue
        for c in children[v]:
            pending[c] -= 1
            if pending[c] == 0:
                order.append(c)
    return order


def _find_cycles(order: list[int], parents: list[list[int]], children: list[list[int]]) -> list[list[int]]:
    """One cycle per strongly connected knot among the tasks Kahn's algorithm could not order.

    Kosaraju's algorithm with explicit stacks finds the components; inside a component every task
    has a parent in the same component, so walking parents from its first task must revisit one,
    which closes a cycle. Each cycle runs upstream to downstream from its first task in the
    document; the cycles are sorted.
    """
    n = len(parents)
    alive = bytearray([1]) * n
    for v in order:
        alive[v] = 0
    finished: list[int] = []  # pass 1: depth-first finishing order along children
    unseen = bytearray(alive)
    for root in range(n):
        if not unseen[root]:
            continue
        unseen[root] = 0
        stack = [(root, iter(children[root]))]
        while stack:
            v, pending = stack[-1]
            for c in pending:
                if unseen[c]:
                    unseen[c] = 0
                    stack.append((c, iter(children[c])))
                    break
            else:
                stack.pop()
                finished.append(v)
    component = [-1] * n  # pass 2: collect components along parents, latest finisher first
    cycles = []
    for root in reversed(finished):
        if component[root] != -1:
            continue
        members = [root]
        component[root] = root
        for v in members:  # grows while iterating
            for p in parents[v]:
                if alive[p] and component[p] == -1:
                    component[p] = root
                    members.append(p)
        if len(members) == 1 and root not in parents[root]:
            continue  # downstream of a cycle, not on one
        position: dict[int, int] = {}
        walk: list[int] = []
        v = min(members)
        while v not in position:
            position[v] = len(walk)
            walk.append(v)
            v = next(p for p in parents[v] if component[p] == root)
        cycle = walk[position[v] :][::-1]  # upstream to downstream
        first = cycle.index(min(cycle))  # start at the task that comes first in the document
        cycles.append(cycle[first:] + cycle[:first])
    return sorted(cycles)


def effective_weights(graph: TaskGraph, weights: list[int], rules: Sequence[str]) -> list[int]:
    """Airflow's priority weight of each task under its weight rule (the graph has no cycle).

    ``downstream``: its own weight plus every task downstream of it; ``upstream``: plus every task
    upstream; ``absolute``: its own. A task reachable along several paths counts once.
    """
    effective = list(weights)
    if "downstream" in rules:  # children before parents: reverse topological order
        want = [rule == "downstream" for rule in rules]
        _reach_totals(graph.order[::-1], graph.children, weights, want, effective)
    if "upstream" in rules:
        want = [rule == "upstream" for rule in rules]
        _reach_totals(graph.order, graph.parents, weights, want, effective)
    return effective


def _reach_totals(
    sequence: list[int], edges: list[list[int]], weights: list[int], want: list[bool], out: list[int]
) -> None:
    """Set ``out[v]`` (for each ``want[v]``) to the weight sum over v and all tasks reachable via ``edges``.

    ``sequence`` lists every task after all tasks its edges lead to. Each task gets a bit (its
    position in ``sequence``); a task's reach mask is its bit OR its targets' masks, so a task
    reachable along several paths (a diamond) is counted once. Sums are popcounts: weights are
    shifted so the smallest is 0, then grouped by distinct value or, if fewer, by binary digit.
    """
    low = min(weights)
    by_position = [weights[v] - low for v in sequence]
    top = max(by_position)
    groups: list[tuple[int, int]] = []  # (multiplier, mask of positions)
    if top:
        distinct = sorted(set(by_position) - {0})
        planes = top.bit_length()
        members: list[tuple[int, list[int]]]  # (multiplier, a flag per position: a bool or a bit)
        if len(distinct) <= planes:
            members = [(d, [w == d for w in by_position]) for d in distinct]
        else:
            members = [(1 << b, [(w >> b) & 1 for w in by_position]) for b in range(planes)]
        for multiplier, flags in members:
            bits = "".join("1" if flag else "0" for flag in reversed(flags))  # position 0 = lowest bit
            groups.append((multiplier, int(bits, 2)))
    masks = [0] * len(weights)
    for position, v in enumerate(sequence):
        mask = 1 << position
        for target in edges[v]:
            mask |= masks[target]
        masks[v] = mask
        if want[v]:
            total = low * mask.bit_count()
            for multiplier, group in groups:
                total += multiplier * (mask & group).bit_count()
            out[v] = total
