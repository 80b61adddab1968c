"""A worker process's collaborators, built once from settings: Redis, tokens, per-repo clients."""

from __future__ import annotations

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
from workers.handlers.fix_issue import FixServices
from workers.handlers.repair import RepairServices
from workers.jobs import Job, JobKind
from workers.metrics import ObservedModel, WorkerMetrics
from workers.model.from_settings import model_from_settings, tokenizer_from_settings
from workers.model.port import ChatModel
from workers.model.tokenizer import JobTokenCounts, VllmTokenizer
from workers.pipeline.context.snapshot import SnapshotCache
from workers.repair_store import RepairStore
from workers.target_lock import TargetLocks
from workers.triggers import TriggerRules

# Least privilege per job: a token never carries more than its job needs.
_READ_AND_TALK = {"contents": "read", "issues": "write", "pull_requests": "write", "metadata": "read"}
_PUSH_AND_TALK = {"contents": "write", "issues": "write", "pull_requests": "write", "metadata": "read"}
# Reading why CI failed needs the check run; pushing the follow-up needs the rest.
_PUSH_AND_READ_CHECKS = {**_PUSH_AND_TALK, "checks": "read"}
JOB_PERMISSIONS: dict[JobKind, dict[str, str]] = {
    JobKind.HELP: _READ_AND_TALK,
    JobKind.FIX_ISSUE: _PUSH_AND_TALK,
    JobKind.FIX_PULL: _PUSH_AND_TALK,
    JobKind.FIX_REVIEW_THREAD: _READ_AND_TALK,
    JobKind.REVIEW_FOLLOWUP: _PUSH_AND_TALK,
    JobKind.CI_FOLLOWUP: _PUSH_AND_READ_CHECKS,
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

    def fix_services(self, github: GitHubRepoClient) -> FixServices:
        snapshots = SnapshotCache(
            self.settings.data_dir / "snapshots",
            # One tarball per commit, fetched with this job's token.
            fetch_tarball=lambda owner, repo, sha: github.download_tarball(sha),
            timer=self.metrics.time_stage,
        )
        return FixServices(
            model=self.model,
            tokenizer=JobTokenCounts(self.tokenizer),
            snapshots=snapshots,
            context_tokens=self.settings.model_context_tokens,
            timer=self.metrics.time_stage,
        )

    @cached_property
    def target_locks(self) -> TargetLocks:
        return TargetLocks(self.redis, self.settings.target_lease_seconds)

    @property
    def repair_store(self) -> RepairStore:
        return RepairStore(self.redis, self.settings.repair_ttl_seconds)

    def repair_services(self) -> RepairServices:
        return RepairServices(
            store=self.repair_store,
            model=self.model,
            tokenizer=JobTokenCounts(self.tokenizer),
            context_tokens=self.settings.model_context_tokens,
            scratch_dir=self.settings.data_dir / "repair",
            timer=self.metrics.time_stage,
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
        )


def _observed_transport(metrics: WorkerMetrics, installation: str) -> ObservedTransport:
    def observe(route: str, status: str, remaining: str | None) -> None:
        metrics.observe_github_response(installation, route, status, remaining)

    return ObservedTransport(observe)
