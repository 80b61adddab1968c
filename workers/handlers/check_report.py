"""The `iquest` check run of one job: created queued, moved to in progress, completed once."""

from __future__ import annotations

from workers.github.port import CheckAction, CheckAnnotation, CheckOutput, GitHubPort
from workers.intake.jobs import Job
from workers.pipeline.proposal import FixProposal
from workers.pipeline.publish.check_run import (
    CHECK_NAME,
    RETRY,
    render_fix_output,
    render_no_fix_output,
)


class CheckReport:
    def __init__(self, github: GitHubPort, job: Job) -> None:
        self._github = github
        # Sent back with a button press, so the press can be turned into a job again.
        self._external_id = f"{job.kind.value}:{job.number}"
        self._run_id: int | None = None
        self.head_sha = ""

    def start(self, head_sha: str) -> None:
        """A run on `head_sha`; a run left on an older head is closed as superseded."""
        if self._run_id is not None:
            self._github.update_check_run(
                self._run_id, "completed", "neutral",
                CheckOutput("Superseded", "The pull request moved on; I started again on its new head."),
            )
        self._run_id = self._github.create_check_run(CHECK_NAME, head_sha, self._external_id)
        self.head_sha = head_sha
        self._github.update_check_run(self._run_id, "in_progress")

    def complete(self, output: CheckOutput, actions: tuple[CheckAction, ...] = ()) -> None:
        if self._run_id is not None:
            self._github.update_check_run(self._run_id, "completed", output.conclusion, output, actions)
            self._run_id = None

    def fail(self, reason: str, conclusion: str = "failure") -> None:
        """No fix: the reason, and a Retry button."""
        if self._run_id is not None:
            self._github.update_check_run(
                self._run_id, "completed", conclusion, render_no_fix_output(reason), (RETRY,)
            )
            self._run_id = None


def suggestion_annotations(
    lines: list[tuple[str, int, int]], message: str
) -> tuple[CheckAnnotation, ...]:
    """Annotations on the head lines each suggestion replaces: (path, first, last)."""
    return tuple(
        CheckAnnotation(path, first, last, "notice", message[:500] or "Suggested change.",
                        title="Suggested by iquest")
        for path, first, last in lines
    )


def report_pushed(github: GitHubPort, job: Job, sha: str, proposal: FixProposal, where: str) -> None:
    """The report on a commit the app pushed, annotated on the lines that commit changed.

    Nothing runs on it after the push, so it is created completed: one call, not three."""
    github.create_check_run(
        CHECK_NAME, sha, f"{job.kind.value}:{job.number}", render_fix_output(proposal, where)
    )
