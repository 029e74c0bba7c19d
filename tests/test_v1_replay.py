"""Airflow 2.11's recorded /api/v1 exchanges (tests/data/airflow-2.11-v1-transcripts.jsonl), replayed
against dagport in front of a real Airflow 3.3.2 brought to the recording's starting state
(tests/v1_state.py, the ``v1_airflow`` fixture): each answer must be the recorded one, or differ only
as tests/v1_differences.py documents (with the docs/api-v1.md section that says why).

dagport runs in process in passthrough mode, so the recording's users (admin, viewer, no or wrong
credentials) reach Airflow 3 as they reached Airflow 2. The replay changes the deployment (runs,
deletions, pools): it runs once, and the tests read its verdicts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.airflow_deployment import AirflowDeployment
from tests.v1_fixtures import HOST, dagport, migrated
from tests.v1_replay import DOCUMENTED, OTHER, SAME, Verdict, replay, summary

pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
async def verdicts(
    v1_airflow: AirflowDeployment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[list[Verdict]]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('v1-replay') / 'dagport.db'}"
    engine = await migrated(url)
    async with dagport(url, v1_airflow.url, engine=engine) as client:
        found = await replay(HOST, client=client)
    await engine.dispose()
    v1_airflow.say("v1 replay:\n" + summary(found))
    yield found


async def test_every_exchange_answers_as_airflow_2_11_or_as_documented(verdicts: list[Verdict]) -> None:
    others = [v.describe() for v in verdicts if v.verdict == OTHER]
    assert others == [], "\n\n".join(others)


async def test_the_replay_covers_the_whole_recording(verdicts: list[Verdict]) -> None:
    assert len(verdicts) == 256
    assert {v.verdict for v in verdicts} <= {SAME, DOCUMENTED, OTHER}
