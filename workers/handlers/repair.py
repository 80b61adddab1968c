"""A /repair job: write the caller's files to a scratch directory, compute the fix, store the result."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from workers.handlers.context import VerifyServices, verifier_for
from workers.intake.jobs import Job
from workers.intake.repair_store import (
    FINAL_STATUSES,
    RepairRequest,
    RepairResult,
    RepairStatus,
    RepairStore,
)
from workers.intake.repo_config import RepoConfig
from workers.model.port import ChatModel, Tokenizer
from workers.pipeline.prompts.fix import IssueText
from workers.pipeline.proposal import FixOutcome, FixStatus
from workers.pipeline.publish.receipt import render_compact
from workers.pipeline.run import FixLimits, propose_fix
from workers.pipeline.timing import StageTimer, untimed

log = logging.getLogger("iquest.handlers.repair")

# The prompt names a repository; an API caller has none.
REPAIR_REPOSITORY = "repair-request"


@dataclass(frozen=True)
class RepairServices:
    store: RepairStore
    model: ChatModel
    tokenizer: Tokenizer
    context_tokens: int
    scratch_dir: Path
    limits: FixLimits = FixLimits()
    timer: StageTimer = untimed
    verification: VerifyServices | None = None
    # Model-assisted narrowing's budget; 0 (IQUEST_CONTEXT_NARROWING off) skips it.
    narrow_tokens: int = 0


class UnsafeRepairPath(ValueError):
    pass


def write_request_files(root: Path, files: dict[str, str]) -> None:
    """The edge validated the paths; the worker checks again, since it is the one writing."""
    base = root.resolve()
    for path, content in files.items():
        target = (base / path).resolve()
        if target == base or base not in target.parents:
            raise UnsafeRepairPath(f"{path!r} is outside the request's files")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")


def result_for(outcome: FixOutcome) -> RepairResult:
    if outcome.status is FixStatus.PROPOSED and outcome.proposal is not None:
        proposal = outcome.proposal
        return RepairResult(
            status=RepairStatus.DONE,
            root_cause=proposal.root_cause,
            diff=proposal.diff,
            verification=proposal.verification.render_markdown() if proposal.verification else "",
            tests=proposal.tests,
            receipt=render_compact(proposal.receipt) if proposal.receipt is not None else "",
            verified=proposal.receipt is not None and proposal.receipt.verified,
        )
    status = RepairStatus.FAILED if outcome.status is FixStatus.FAILED else RepairStatus.REFUSED
    return RepairResult(status=status, reason=outcome.reason or "the model proposed no change.")


def _compute(request: RepairRequest, services: RepairServices, job: Job) -> RepairResult:
    services.scratch_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="repair-", dir=services.scratch_dir) as scratch:
        root = Path(scratch)
        try:
            write_request_files(root, request.files)
        except (UnsafeRepairPath, OSError) as error:
            return RepairResult(status=RepairStatus.REFUSED, reason=f"I could not write the files: {error}")
        outcome = propose_fix(
            root,
            REPAIR_REPOSITORY,
            IssueText(number=0, title=request.title, body=request.body),
            services.model,
            services.tokenizer,
            services.context_tokens,
            services.limits,
            progress=lambda message: log.info("job=%s %s", job.job_id, message),
            timer=services.timer,
            # A caller's files have no `.github/iquest.yml`: detection decides what runs.
            verify=verifier_for(services.verification, RepoConfig()),
            narrow_tokens=services.narrow_tokens,
        )
    return result_for(outcome)


def repair(job: Job, services: RepairServices) -> None:
    store = services.store
    previous = store.load_result(job.job_id)
    if previous is not None and previous.status in FINAL_STATUSES:
        # A redelivered message after the job finished: the caller already has its answer.
        log.info("job=%s already %s", job.job_id, previous.status)
        return
    request = store.load_request(job.job_id)
    if request is None:
        store.save_result(job.job_id, RepairResult(
            status=RepairStatus.FAILED,
            reason="the request expired before a worker picked it up; please send it again.",
        ))
        return
    store.save_result(job.job_id, RepairResult(status=RepairStatus.RUNNING))
    result = _compute(request, services, job)
    store.save_result(job.job_id, result)
    log.info("job=%s delivery=%s repair %s", job.job_id, job.delivery_id, result.status)
