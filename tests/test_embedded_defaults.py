"""The helpdesk on its embedded defaults, as `make run` serves it: SQLite, the
in-memory channel layer and eager Celery, with the demo data. The rest of the suite
runs on PostgreSQL, so this is where SQL that only PostgreSQL understands shows up."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def walk_steps(tmp_path_factory):
    database = tmp_path_factory.mktemp("embedded") / "db.sqlite3"
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(DATABASE_URL=f"sqlite:///{database}", HELPDESK_ALLOW_DEV_SECRETS="1", LOG_LEVEL="ERROR")

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    return [json.loads(line) for line in run("tests/embedded/walk.py").splitlines() if line.startswith("{")]


def test_every_step_of_the_walk_works_on_sqlite(walk_steps):
    failed = [step for step in walk_steps if not step["ok"]]
    assert not failed, f"failed on the embedded defaults: {failed}"


def test_the_walk_covered_the_console_the_api_and_the_portal(walk_steps):
    steps = {step["step"] for step in walk_steps}
    assert {"database", "ticket page", "reply in the timeline", "dashboard", "api create", "portal ticket"} <= steps
    assert len(walk_steps) >= 35
