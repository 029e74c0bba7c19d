"""requirements/advisories.py, the CI step that checks the lock against safety-db's advisories."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("advisories", ROOT / "requirements" / "advisories.py")
assert _spec is not None and _spec.loader is not None
advisories = importlib.util.module_from_spec(_spec)
sys.modules["advisories"] = advisories
_spec.loader.exec_module(advisories)


def test_pins_are_read_from_hashed_lock_lines(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text(
        "# comment\nPyYAML==5.1 \\\n    --hash=sha256:00\n    # via x\n"
        "uvloop==0.23.0 ; sys_platform != 'win32' \\\nsqlalchemy[asyncio]==2.1.9\n"
    )
    assert advisories.pins([lock]) == {"pyyaml": "5.1", "uvloop": "0.23.0", "sqlalchemy": "2.1.9"}


def test_a_pin_in_a_vulnerable_range_is_found_and_fails_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = tmp_path / "old.txt"
    lock.write_text("pyyaml==5.3\njinja2==3.1.4\n")
    assert advisories.main([str(lock)]) == 1
    out = capsys.readouterr().out
    assert "pyyaml==5.3: pyup.io-38100 CVE-2020-1747 <5.3.1" in out
    assert "jinja2" not in out.split("found", 1)[1]  # 3.1.4 is past every range in the data


def test_the_lock_has_no_known_vulnerable_pin(capsys: pytest.CaptureFixture[str]) -> None:
    assert advisories.main([]) == 0
    out = capsys.readouterr().out
    assert "(airflow.txt, build.txt, dev.txt, runtime.txt)" in out
    assert "up to 2021-07-01" in out
