"""Run one job with the worker's own code (jobrunner → handler → pipeline → publish) in this
process, against the fake GitHub and the scripted model server, and count what it cost.

Shared by the regression guard (tests/workers/test_job_cost.py) and the cost benchmark
(bench/job_cost.py): the same job, counted the same way.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes.github import FakeGitHub
from tests.fakes.model_server import ScriptedModelServer
from workers.config import Settings
from workers.intake.jobs import Job
from workers.jobrunner import run_job
from workers.runtime import Runtime

# Calls that do not count against an installation's REST limit: the token mint is made with
# the App's JWT (and cached for the hour), and the tarball's redirect target is codeload.
TOKEN_MINT = "apps/create-installation-access-token"
# GET /app (the App's own login, to know its own comments): the App's JWT too, once per process.
APP_IDENTITY = "apps/get-authenticated"
APP_JWT_CALLS = (TOKEN_MINT, APP_IDENTITY)
CODELOAD = "GET /_codeload"


@dataclass
class JobCost:
    """What one job cost: GitHub calls by route, model-server requests by path, seconds."""

    github: Counter[str] = field(default_factory=Counter)
    model: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def installation_calls(self) -> int:
        """The calls an installation's hourly REST limit is charged for."""
        return sum(
            count for route, count in self.github.items()
            if route not in APP_JWT_CALLS and not route.startswith(CODELOAD)
        )

    @property
    def tokenize_requests(self) -> int:
        return self.model["POST /tokenize"]


def worker_settings(fake: FakeGitHub, model: ScriptedModelServer, redis_url: str,
                    data_dir: Path, context_tokens: int = 32768) -> Settings:
    return Settings(
        _env_file=None,
        app_id=fake.app_id,
        private_key=fake.private_key,
        github_api_url=fake.url,
        redis_url=redis_url,
        data_dir=data_dir,
        model_base_url=model.base_url,
        model_context_tokens=context_tokens,
        github_retry_base_seconds=0.05,
        # Pacing is tested in tests/workers/github; here it would only add sleeps.
        github_write_interval_seconds=0.0,
    )


def _route(call: object) -> str:
    operation = getattr(call, "operation_id", None)
    if operation:
        return operation
    path = getattr(call, "path", "")
    return CODELOAD if path.startswith("/_codeload/") else f"{call.method} {path}"  # type: ignore[attr-defined]


def run_counted(job: Job, runtime: Runtime, fake: FakeGitHub,
                model: ScriptedModelServer) -> JobCost:
    """Run `job` as a worker would and count only the calls it made."""
    github_before, model_before = len(fake.log), len(model.requests)
    started = time.perf_counter()
    run_job(job, runtime)
    seconds = time.perf_counter() - started
    cost = JobCost(seconds=seconds)
    cost.github.update(_route(call) for call in fake.log[github_before:])
    cost.model.update(f"{r.method} {r.path}" for r in model.requests[model_before:])
    return cost
