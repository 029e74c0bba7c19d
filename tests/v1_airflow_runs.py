"""Runs INSIDE Airflow's venv (``<venv>/bin/python tests/v1_airflow_runs.py DAG_ID...``), started by
tests/v1_state.py with the deployment's environment: the finished runs and the parsing results of the
v1 recording's starting state, made with Airflow's own functions where its CLI cannot make them.

The recording's reset ran ``airflow dags test --use-executor <dag> 2016-11-16T00:00:00+00:00`` under
the SequentialExecutor, so every run is ``manual__2016-11-16T00:00:00+00:00``, started at its
logical date, with real task processes and log files, and no scheduler ever ran. Airflow 3.3.2's
CLI cannot make that run:

- ``airflow dags test`` names its run after "now" (``DagRun.generate_run_id`` takes ``run_after``,
  which the CLI leaves at now): this module calls ``DAG.test`` itself with ``run_after`` at the
  logical date, which gives the recorded run id.
- Airflow 3 has no SequentialExecutor, and the LocalExecutor that ``--use-executor`` takes from the
  configuration hung now and then in its shutdown at the end of ``DAG.test`` (2 of 8 tries here:
  ``end()`` waiting for a worker that never exited). :class:`InlineExecutor` below runs
  each task as the LocalExecutor's workers do (:meth:`BaseExecutor.run_workload`: a supervisor and
  its task process, which write the task's log file and report through the Execution API), one
  after another, in this process. Its module path is given as ``AIRFLOW__CORE__EXECUTOR`` for this
  process only.
- The dag-processor of Airflow 3.3.2 never records the "non-existent pool" DAG warning that the
  recording's parse did (``dag_processing/processor.py``: "TODO: Set known_pool names on DagBag!"),
  and ``airflow dags reserialize`` neither: :func:`parse` is ``dags reserialize`` with the pools that
  exist passed as ``known_pools``, the DagBag's own feature. It runs last, because every ``DAG.test``
  re-syncs the DAG files without known pools, which clears that warning again.

Prints one line per step, ``run <dag_id> <run_id> <state>`` and ``parsed ...``, for the caller.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from airflow.executors.base_executor import BaseExecutor

LOGICAL_DATE = datetime(2016, 11, 16, tzinfo=UTC)


class InlineExecutor(BaseExecutor):
    """Runs each queued task to its end before the next, in this process (Airflow 2's
    SequentialExecutor, which Airflow 3 removed): no worker processes, nothing to shut down."""

    is_local = True
    supports_callbacks = False
    supports_connection_test = False

    def _process_workloads(self, workload_items: Sequence) -> None:
        for workload in workload_items:
            key = workload.ti.key
            self.queued_tasks.pop(key)
            self.running.add(key)
            exit_code = self.run_workload(workload)
            if exit_code == 0:
                self.success(key)
            else:
                self.fail(key)

    def end(self) -> None:
        """Nothing runs after :meth:`_process_workloads` returns."""

    def terminate(self) -> None:
        """Nothing runs after :meth:`_process_workloads` returns."""


def run(dag_id: str) -> str:
    """One ``DAG.test`` of ``dag_id`` at :data:`LOGICAL_DATE`; its run's state."""
    from airflow.utils.cli import get_bagged_dag

    dag = get_bagged_dag(bundle_names=None, dag_id=dag_id)
    dag_run = dag.test(logical_date=LOGICAL_DATE, run_after=LOGICAL_DATE, use_executor=True)
    print(f"run {dag_id} {dag_run.run_id} {dag_run.state}", flush=True)
    return str(dag_run.state)


def parse() -> None:
    """``airflow dags reserialize``, with the existing pools as the DagBag's ``known_pools``."""
    from airflow.dag_processing.bundles.base import unpack_bundle_version
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models.pool import Pool
    from airflow.utils.session import create_session
    from sqlalchemy import select

    manager = DagBundlesManager()
    with create_session() as session:
        manager.sync_bundles_to_db(session=session)
        pools = set(session.scalars(select(Pool.pool)))
    for bundle in manager.get_all_dag_bundles():
        bundle.initialize()
        bag = BundleDagBag(bundle.path, bundle_path=bundle.path, bundle_name=bundle.name, known_pools=pools)
        version, version_data = unpack_bundle_version(bundle.get_current_version(), bundle)
        with create_session() as session:
            sync_bag_to_db(
                bag, bundle.name, bundle_version=version, version_data=version_data, session=session
            )
        print(
            f"parsed {bundle.name}: dags {sorted(bag.dags)}, import errors {sorted(bag.import_errors)}, "
            f"warnings {sorted(w.dag_id for w in bag.dag_warnings)}",
            flush=True,
        )


def main(dag_ids: list[str]) -> int:
    states = {dag_id: run(dag_id) for dag_id in dag_ids}
    parse()
    return 0 if all(state == "success" for state in states.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
