"""What deleting a DAG removes, and what its answer counts (docs/api.md section 3: DELETE /dags/{dag_id}).

The DAG goes with everything that hangs off it, children first. The count is of run records only
(lineage, task instances, runs), as Airflow counted them; the definition (the DAG, its tags and
tasks) is removed but not counted. A backend that keeps no lineage of its own (Airflow) counts the
runs and task instances it removes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Removed(Enum):
    LINEAGE = "lineage"
    TASK_INSTANCES = "task instances"
    RUNS = "runs"
    DEFINITION = "definition"  # the DAG row with its tags and tasks


@dataclass(frozen=True, slots=True)
class DeletionPlan:
    removed: tuple[Removed, ...]  # in this order
    counted: frozenset[Removed]

    def count(self, removed: dict[Removed, int]) -> int:
        """The answer's ``count``, from how many of each kind were removed."""
        return sum(n for kind, n in removed.items() if kind in self.counted)


DAG_DELETION = DeletionPlan(
    removed=(Removed.LINEAGE, Removed.TASK_INSTANCES, Removed.RUNS, Removed.DEFINITION),
    counted=frozenset({Removed.LINEAGE, Removed.TASK_INSTANCES, Removed.RUNS}),
)
