"""A worker process's collaborators, built once from settings: Redis, tokens, per-repo clients."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import redis

from workers.config import Settings, SettingsError
from workers.github.client import GitHubRepoClient
from workers.github.comments import RememberedComments
from workers.github.deliveries import AppDeliveries
from workers.github.observed import ObservedTransport
from workers.github.pacing import WritePacer
from workers.github.retry import CappedRetry
from workers.github.tokens import InstallationTokens
from workers.handlers.context import VerifyServices
from workers.handlers.fix_issue import FixServices
from workers.handlers.repair import RepairServices
from workers.intake.jobs import Job, JobKind
from workers.intake.repair_store import RepairStore
from workers.intake.triggers import TriggerRules
from workers.model.from_settings import model_from_settings, tokenizer_from_settings
from workers.model.gated import GatedModel
from workers.model.port import ChatModel
from workers.model.slots import ModelSlots, SlotPolicy
from workers.model.tokenizer import JobTokenCounts, VllmTokenizer
from workers.operations.metrics import ObservedModel, WorkerMetrics
from workers.pipeline.context.snapshot import SnapshotCache
from workers.pipeline.run import FixLimits
from workers.sandbox.port import Limits
from workers.sandbox.select import SandboxBackend, build_sandbox
from workers.scheduling.cancel_flags import CancelFlags
from workers.scheduling.lines import WaitingLines
from workers.scheduling.quotas import DailyQuotas
from workers.scheduling.target_lock import TargetLocks

log = logging.getLogger("iquest.runtime")

# Least privilege per job: a token never carries more than its job needs.
_READ_AND_TALK = {"contents": "read", "issues": "write", "pull_requests": "write", "metadata": "read"}
_PUSH_AND_TALK = {"contents": "write", "issues": "write", "pull_requests": "write", "metadata": "read"}
# A fix reports on its own `iquest` check run (write includes reading why CI failed).
_PUSH_AND_REPORT = {**_PUSH_AND_TALK, "checks": "write"}
JOB_PERMISSIONS: dict[JobKind, dict[str, str]] = {
    JobKind.HELP: _READ_AND_TALK,
    JobKind.CANCEL: _READ_AND_TALK,
    JobKind.FIX_ISSUE: _PUSH_AND_REPORT,
    JobKind.FIX_PULL: _PUSH_AND_REPORT,
    JobKind.FIX_REVIEW_THREAD: _READ_AND_TALK,
    JobKind.REVIEW_FOLLOWUP: _PUSH_AND_REPORT,
    JobKind.CI_FOLLOWUP: _PUSH_AND_REPORT,
}


@dataclass
class Runtime:
    settings: Settings
    redis: redis.Redis
    # None for a worker without App credentials: it serves only jobs that need no GitHub.
    tokens: InstallationTokens | None
    retry: CappedRetry
    metrics: WorkerMetrics = field(default_factory=WorkerMetrics)

    @classmethod
    def build(cls, settings: Settings, redis_url: str, *, with_github: bool = True) -> Runtime:
        client = redis.Redis.from_url(redis_url)
        retry = CappedRetry(
            settings.github_max_retries,
            settings.github_retry_base_seconds,
            settings.github_max_wait_seconds,
        )
        metrics = WorkerMetrics()
        tokens = None
        if with_github:
            app_id, private_key = settings.require_app_credentials()
            tokens = InstallationTokens(
                app_id, private_key, settings.github_api_url, client, retry,
                transport=_observed_transport(metrics, "app"),
            )
        return cls(settings=settings, redis=client, tokens=tokens, retry=retry, metrics=metrics)

    @property
    def app_tokens(self) -> InstallationTokens:
        if self.tokens is None:
            raise SettingsError(
                "this worker has no GitHub App credentials, so it cannot run GitHub jobs."
            )
        return self.tokens

    @property
    def rules(self) -> TriggerRules:
        return TriggerRules(label=self.settings.trigger_label, command_word=self.settings.command_word)

    @cached_property
    def deliveries(self) -> AppDeliveries:
        app_id, private_key = self.settings.require_app_credentials()
        return AppDeliveries(app_id, private_key, self.settings.github_api_url, self.retry)

    @cached_property
    def model(self) -> ChatModel:
        return ObservedModel(model_from_settings(self.settings), self.metrics)

    @cached_property
    def tokenizer(self) -> VllmTokenizer:
        return tokenizer_from_settings(self.settings)

    @cached_property
    def model_slots(self) -> ModelSlots:
        """Model calls in flight across every worker sharing this Redis."""
        return ModelSlots(
            self.redis,
            SlotPolicy(
                limit=self.settings.model_max_concurrency,
                lease_seconds=self.settings.model_slot_lease_seconds,
                max_wait_seconds=self.settings.model_slot_max_wait_seconds,
            ),
        )

    @property
    def cancel_flags(self) -> CancelFlags:
        return CancelFlags(self.redis)

    @property
    def quotas(self) -> DailyQuotas:
        return DailyQuotas(self.redis)

    def lines(self, queue: str | None = None) -> WaitingLines:
        return WaitingLines(self.redis, queue or self.settings.queue_name)

    def model_for(
        self,
        job: Job,
        token_budget: int | None = None,
        on_wait: Callable[[int], None] | None = None,
        on_resume: Callable[[], None] | None = None,
    ) -> GatedModel:
        """The model as one job sees it: a shared slot per call, its budget, its cancel flag."""
        return GatedModel(
            self.model,
            self.model_slots,
            token_budget=token_budget or self.settings.job_token_budget,
            on_wait=on_wait,
            on_resume=on_resume,
            before_call=self.cancel_flags.guard(job.job_id),
        )

    def fix_services(self, github: GitHubRepoClient, model: ChatModel) -> FixServices:
        snapshots = SnapshotCache(
            self.settings.data_dir / "snapshots",
            # One tarball per commit, fetched with this job's token.
            fetch_tarball=lambda owner, repo, sha: github.download_tarball(sha),
            timer=self.metrics.time_stage,
        )
        return FixServices(
            model=model,
            tokenizer=JobTokenCounts(self.tokenizer),
            snapshots=snapshots,
            context_tokens=self.settings.model_context_tokens,
            timer=self.metrics.time_stage,
            verification=self.verification,
            candidates=self.settings.candidates,
            narrow_tokens=(
                self.settings.context_narrowing_tokens if self.settings.context_narrowing else 0
            ),
        )

    @cached_property
    def target_locks(self) -> TargetLocks:
        return TargetLocks(self.redis, self.settings.target_lease_seconds)

    @cached_property
    def verification(self) -> VerifyServices:
        """The sandbox, probed once per worker process."""
        settings = self.settings
        sandbox = build_sandbox(SandboxBackend(settings.sandbox), settings.data_dir / "sandbox")
        if not sandbox.available:
            log.warning("tests of fixes will not run: %s", sandbox.reason)
        limits = Limits(
            wall_seconds=settings.sandbox_timeout_seconds,
            memory_bytes=settings.sandbox_memory_mb << 20,
            max_processes=settings.sandbox_max_processes,
            max_output_bytes=settings.sandbox_max_output_bytes,
        )
        return VerifyServices(sandbox, limits, settings.data_dir / "verify-cache")

    @property
    def repair_store(self) -> RepairStore:
        return RepairStore(self.redis, self.settings.repair_ttl_seconds)

    def repair_services(self, job: Job) -> RepairServices:
        return RepairServices(
            store=self.repair_store,
            model=self.model_for(job),
            tokenizer=JobTokenCounts(self.tokenizer),
            context_tokens=self.settings.model_context_tokens,
            scratch_dir=self.settings.data_dir / "repair",
            timer=self.metrics.time_stage,
            limits=FixLimits(candidates=self.settings.candidates),
            verification=self.verification,
        )

    def forget_token(self, job: Job) -> None:
        self.app_tokens.forget(job.installation_id, job.repo, JOB_PERMISSIONS[job.kind])

    def github_for(self, job: Job) -> GitHubRepoClient:
        token = self.app_tokens.token_for(job.installation_id, job.repo, JOB_PERMISSIONS[job.kind])
        pacer = WritePacer(
            self.redis, job.installation_id, self.settings.github_write_interval_seconds
        )
        return GitHubRepoClient(
            job.repo_full_name,
            token,
            self.settings.github_api_url,
            self.retry,
            before_create=pacer.wait_for_slot,
            transport=_observed_transport(self.metrics, str(job.installation_id)),
            remembered=RememberedComments(self.redis, self.settings.comment_id_ttl_seconds),
            before_write=self.cancel_flags.guard(job.job_id),
        )


def _observed_transport(metrics: WorkerMetrics, installation: str) -> ObservedTransport:
    def observe(route: str, status: str, remaining: str | None) -> None:
        metrics.observe_github_response(installation, route, status, remaining)

    return ObservedTransport(observe)
