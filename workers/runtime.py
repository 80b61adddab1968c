"""A worker process's collaborators, built once from settings: Redis, tokens, per-repo clients."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import redis

from workers.config import Settings, SettingsError
from workers.environments.from_settings import cache_from_settings, index_from_settings
from workers.environments.lease import RedisLease
from workers.github.client import GitHubRepoClient
from workers.github.comments import RememberedComments
from workers.github.deliveries import AppDeliveries
from workers.github.observed import ObservedTransport
from workers.github.pacing import WritePacer
from workers.github.port import GitHubError
from workers.github.retry import CappedRetry
from workers.github.tokens import InstallationTokens
from workers.handlers.context import VerifyServices
from workers.handlers.fix_issue import FixServices
from workers.handlers.ledger import FixRecorder
from workers.handlers.repair import RepairServices
from workers.intake.jobs import Job, JobKind
from workers.intake.repair_store import RepairStore
from workers.intake.triggers import TriggerRules
from workers.ledger.database import ledger_url, make_engine
from workers.ledger.store import Ledger
from workers.model.capabilities import ServerCapabilities
from workers.model.from_settings import (
    capabilities_from_settings,
    context_tokens_from_settings,
    model_from_settings,
    tokenizer_from_settings,
)
from workers.model.gated import GatedModel
from workers.model.openai_compat import OpenAICompatModel
from workers.model.port import ChatModel
from workers.model.slots import ModelSlots, SlotPolicy
from workers.model.tokenizer import JobTokenCounts, VllmTokenizer
from workers.operations.metrics import ObservedModel, WorkerMetrics
from workers.pipeline.context.snapshot import SnapshotCache
from workers.pipeline.edits.json_form import EDIT_SCHEMA, JSON_INSTRUCTION
from workers.pipeline.run import FixLimits
from workers.sandbox.port import Limits
from workers.sandbox.select import SandboxBackend, build_sandbox
from workers.scheduling.cancel_flags import CancelFlags
from workers.scheduling.lines import WaitingLines
from workers.scheduling.quotas import DailyQuotas, WindowCounters
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
    # Issue 24: code-scanning alerts are read (never changed) by alert fixes and `/iquest fix`.
    JobKind.FIX_ALERT: {**_PUSH_AND_REPORT, "security_events": "read"},
}
JOB_PERMISSIONS[JobKind.FIX_PULL] = {**_PUSH_AND_REPORT, "security_events": "read"}
# Asked for when the installation has them; an installation that has not accepted them yet
# still gets its job (GitHub refuses the whole token otherwise), and the job says what to grant.
OPTIONAL_PERMISSIONS = frozenset({"security_events"})


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
    def model_capabilities(self) -> ServerCapabilities:
        """What the model server accepts, learned once and shared by every worker on this Redis."""
        return capabilities_from_settings(self.settings, self.redis)

    @cached_property
    def chat_adapter(self) -> OpenAICompatModel:
        return model_from_settings(self.settings, self.model_capabilities)

    @cached_property
    def ledger(self) -> Ledger:
        """The outcome ledger; the engine connects on first use, not here."""
        return Ledger(make_engine(ledger_url(self.settings.database_url, self.settings.data_dir)))

    @cached_property
    def model(self) -> ChatModel:
        return ObservedModel(self.chat_adapter, self.metrics)

    @cached_property
    def structured_model(self) -> ChatModel:
        """The model asked for replies matching the edit format's JSON schema."""
        return ObservedModel(
            self.chat_adapter.structured(EDIT_SCHEMA, JSON_INSTRUCTION), self.metrics
        )

    @cached_property
    def tokenizer(self) -> VllmTokenizer:
        return tokenizer_from_settings(self.settings, self.model_capabilities)

    @property
    def context_tokens(self) -> int:
        """The server's context length when /v1/models tells it, else the setting (warned)."""
        return context_tokens_from_settings(self.settings, self.model_capabilities)

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

    @property
    def window_counters(self) -> WindowCounters:
        return WindowCounters(self.redis)

    def lines(self, queue: str | None = None) -> WaitingLines:
        return WaitingLines(self.redis, queue or self.settings.queue_name)

    def model_for(
        self,
        job: Job,
        token_budget: int | None = None,
        on_wait: Callable[[int], None] | None = None,
        on_resume: Callable[[], None] | None = None,
        structured: bool | None = None,
    ) -> GatedModel:
        """The model as one job sees it: a shared slot per call, its budget, its cancel flag.

        `structured` (a repository's choice; None: the deployment's) asks for JSON replies.
        """
        if structured is None:
            structured = self.settings.model_structured_output
        return GatedModel(
            self.structured_model if structured else self.model,
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
            context_tokens=self.context_tokens,
            timer=self.metrics.time_stage,
            verification=self.verification,
            candidates=self.settings.candidates,
            record_fix=FixRecorder(self.ledger, self.metrics),
            narrow_tokens=self._narrow_tokens,
        )

    @property
    def _narrow_tokens(self) -> int:
        """Model-assisted narrowing's budget for the jobs that look for code from a text
        (issues, `/iquest fix`, `/repair`); 0 when IQUEST_CONTEXT_NARROWING is off."""
        return self.settings.context_narrowing_tokens if self.settings.context_narrowing else 0

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
        cgroups = getattr(sandbox, "cgroups", None)
        if cgroups is not None and cgroups.path is None:
            # Said once: the rlimits and the /tmp cap hold, the whole-run memory cap does not.
            log.info("the sandbox runs without a cgroup memory and pids limit: %s", cgroups.reason)
        limits = Limits(
            wall_seconds=settings.sandbox_timeout_seconds,
            memory_bytes=settings.sandbox_memory_mb << 20,
            max_processes=settings.sandbox_max_processes,
            max_output_bytes=settings.sandbox_max_output_bytes,
            tmp_bytes=settings.sandbox_tmp_bytes,
            scratch_bytes=settings.sandbox_scratch_bytes,
        )
        environments = cache_from_settings(settings, sandbox, RedisLease(self.redis), self.metrics)
        return VerifyServices(
            sandbox, limits, settings.data_dir / "verify-cache", environments, index_from_settings(settings)
        )

    @property
    def repair_store(self) -> RepairStore:
        return RepairStore(self.redis, self.settings.repair_ttl_seconds)

    def repair_services(self, job: Job) -> RepairServices:
        return RepairServices(
            store=self.repair_store,
            model=self.model_for(job),
            tokenizer=JobTokenCounts(self.tokenizer),
            context_tokens=self.context_tokens,
            scratch_dir=self.settings.data_dir / "repair",
            timer=self.metrics.time_stage,
            limits=FixLimits(candidates=self.settings.candidates),
            verification=self.verification,
            narrow_tokens=self._narrow_tokens,
        )

    def forget_token(self, job: Job) -> None:
        for permissions in _token_permissions(job):
            self.app_tokens.forget(job.installation_id, job.repo, permissions)

    def _job_token(self, job: Job) -> str:
        wanted, *narrower = _token_permissions(job)
        try:
            return self.app_tokens.token_for(job.installation_id, job.repo, wanted)
        except GitHubError as error:
            if error.status != 422 or not narrower:
                raise
            log.info("installation %s lacks %s; job=%s goes on without it",
                     job.installation_id, ", ".join(sorted(OPTIONAL_PERMISSIONS & set(wanted))), job.job_id)
            return self.app_tokens.token_for(job.installation_id, job.repo, narrower[0])

    def github_for(self, job: Job) -> GitHubRepoClient:
        token = self._job_token(job)
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
            own_login=self.app_tokens.app_login(),
        )

    def github_for_repository(self, installation_id: int, full_name: str) -> GitHubRepoClient:
        """A client for a periodic job, which has no webhook and no Job (the monthly summary):
        read the default branch's settings, write a comment."""
        token = self.app_tokens.token_for(installation_id, full_name.split("/")[1], _READ_AND_COMMENT)
        pacer = WritePacer(self.redis, installation_id, self.settings.github_write_interval_seconds)
        return GitHubRepoClient(
            full_name,
            token,
            self.settings.github_api_url,
            self.retry,
            before_create=pacer.wait_for_slot,
            transport=_observed_transport(self.metrics, str(installation_id)),
            remembered=RememberedComments(self.redis, self.settings.comment_id_ttl_seconds),
            own_login=self.app_tokens.app_login(),
        )


# The monthly summary reads `.github/iquest.yml` and comments on an issue; nothing more.
_READ_AND_COMMENT = {"contents": "read", "issues": "write", "metadata": "read"}


def _token_permissions(job: Job) -> list[dict[str, str]]:
    """The job's permissions, then (when some are optional) the same without those."""
    wanted = JOB_PERMISSIONS[job.kind]
    required = {k: v for k, v in wanted.items() if k not in OPTIONAL_PERMISSIONS}
    return [wanted, required] if required != wanted else [wanted]


def _observed_transport(metrics: WorkerMetrics, installation: str) -> ObservedTransport:
    def observe(route: str, status: str, remaining: str | None) -> None:
        metrics.observe_github_response(installation, route, status, remaining)

    return ObservedTransport(observe)
