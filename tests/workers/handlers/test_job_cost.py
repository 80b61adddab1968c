"""What one job costs, counted exactly: GitHub calls by route and model-server requests.

The worker's own code runs in this process (jobrunner → handler → pipeline → publish) against
the fake GitHub, the scripted model server and a real Redis. A thread of 400 comments must
cost exactly what a thread of 3 costs, and within the per-job ceiling.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.fakes.model_server import ChatReply
from tests.support.job_cost import APP_JWT_CALLS, TOKEN_MINT, JobCost, run_counted, worker_settings
from tests.workers.handlers.calc_repo import MAIN, PERCENT_FIX, PR_HEAD, model_reply
from workers.intake.jobs import Job, JobKind, TriggerSource
from workers.runtime import Runtime

SHOWCASE = Path(__file__).resolve().parents[2] / "fixtures" / "showcase"
REPO = "acme/login-service"
INSTALLATION = 777
# Issue 13's ceiling, kept with issue 11's `iquest` check run: one call on a pushed commit
# (created completed); on a PR head three (queued, in progress, completed) and one re-read of
# the PR to restart once when its head moved.
CEILING = 15

# One issue → draft PR job, the first on its issue, by route (the token mint aside).
ISSUE_TO_DRAFT_PR = Counter({
    "repos/get": 1,                           # the default branch
    "repos/get-content": 1,                   # .github/iquest.yml
    "repos/get-collaborator-permission-level": 1,  # the sender's live permission
    "reactions/create-for-issue": 1,          # 👀
    "issues/get": 1,                          # the issue, read once
    "issues/list-comments": 1,                # its newest page, read once
    "issues/create-comment": 1,               # the status: Working
    "repos/get-branch": 1,                    # the default branch's head

    "repos/download-tarball-archive": 1,      # the snapshot ...
    "GET /_codeload": 1,                      # ... from codeload (not a REST call)
    "git/create-tree": 1,
    "git/create-commit": 1,
    "git/create-ref": 1,                      # iquest/issue-N: creating it asks "exists?"
    "pulls/create": 1,                        # the draft PR
    "checks/create": 1,                       # the `iquest` check run on its commit
    "issues/update-comment": 1,               # the status: Done
})


def _showcase_files() -> dict[str, str]:
    root = SHOWCASE / "repo"
    return {
        str(path.relative_to(root)): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def add_thread(fake_github, repo: str, number: int, comments: int) -> None:
    """A discussion: mostly outsiders, now and then a collaborator and the one who asks."""
    for index in range(comments):
        user = ("alice", "bob", f"passer-{index % 37}", f"passer-{index % 11}")[index % 4]
        fake_github.add_issue_comment(repo, number, f"comment {index} by {user}", user=user)


@pytest.fixture
def runtime(fake_github, model_server, redis_server, redis_client, tmp_path) -> Runtime:
    settings = worker_settings(fake_github, model_server, redis_server.url, tmp_path / "data")
    built = Runtime.build(settings, redis_server.url)
    yield built
    built.redis.close()


@pytest.fixture
def showcase(fake_github):
    fake_github.create_repo(REPO, _showcase_files())
    fake_github.add_installation(INSTALLATION, "acme")
    fake_github.add_collaborator(REPO, "alice", "maintain")
    fake_github.add_collaborator(REPO, "bob", "write")


def _issue_job(number: int) -> Job:
    return Job(kind=JobKind.FIX_ISSUE, job_id=f"job-{number}", delivery_id=f"d-{number}",
               installation_id=INSTALLATION, repo_full_name=REPO, number=number,
               source=TriggerSource.ISSUE, sender_login="alice")


def _fix_issue(fake_github, model_server, runtime, comments: int) -> tuple[JobCost, int]:
    title, _, body = (SHOWCASE / "issue.md").read_text().partition("\n")
    issue = fake_github.open_issue(REPO, title, body.strip(), user="carol")
    add_thread(fake_github, REPO, issue.number, comments)
    model_server.script(ChatReply((SHOWCASE / "model_response.md").read_text()))
    cost = run_counted(_issue_job(issue.number), runtime, fake_github, model_server)
    return cost, issue.number


def _without_mint(counts: Counter[str]) -> Counter[str]:
    return Counter({route: n for route, n in counts.items() if route not in APP_JWT_CALLS})


@pytest.mark.parametrize("comments", [3, 400])
def test_issue_to_draft_pr_costs_the_same_for_3_and_400_comments(
    fake_github, model_server, showcase, runtime, comments
) -> None:
    cost, number = _fix_issue(fake_github, model_server, runtime, comments)
    assert any(p.head_ref == f"iquest/issue-{number}" for p in fake_github.pulls(REPO))
    assert _without_mint(cost.github) == ISSUE_TO_DRAFT_PR
    assert cost.installation_calls == 15 <= CEILING
    # The installation token is minted with the App's JWT, then served from Redis.
    assert cost.github[TOKEN_MINT] == 1


def test_a_second_issue_on_the_same_commit_reuses_token_and_snapshot(
    fake_github, model_server, showcase, runtime
) -> None:
    _fix_issue(fake_github, model_server, runtime, 3)
    second, _ = _fix_issue(fake_github, model_server, runtime, 400)
    assert second.github[TOKEN_MINT] == 0
    assert second.github["repos/download-tarball-archive"] == 0  # on disk, by commit
    assert second.installation_calls == 14


def test_the_prompt_quotes_the_checked_sender_of_a_long_thread_only(
    fake_github, model_server, showcase, runtime
) -> None:
    _fix_issue(fake_github, model_server, runtime, 400)
    [request] = model_server.chat_requests()
    prompt = request.json["messages"][-1]["content"]
    # One page of the newest comments (here the last 100 of 400), by alice alone: she asked
    # and passed the live check; bob's COLLABORATOR association may mean read access only.
    assert "comment 396 by alice" in prompt and "comment 300 by alice" in prompt
    assert "comment 296 by alice" not in prompt  # not on the newest page
    assert "by bob" not in prompt and "by passer-" not in prompt


def test_a_second_job_on_the_issue_edits_the_remembered_status(
    fake_github, model_server, showcase, runtime
) -> None:
    _, number = _fix_issue(fake_github, model_server, runtime, 400)
    model_server.script(ChatReply((SHOWCASE / "model_response.md").read_text()))
    again = run_counted(_issue_job(number), runtime, fake_github, model_server)
    # The status is edited twice and never searched for; the existing branch and draft PR
    # are found and updated (one call more than opening them), the snapshot is on disk.
    assert again.github["issues/create-comment"] == 0
    assert again.github["issues/update-comment"] == 2
    assert again.github["issues/list-comments"] == 1  # the prompt's page, nothing more
    assert again.github["pulls/list"] == 1 and again.github["pulls/update"] == 1
    assert again.github["repos/download-tarball-archive"] == 0
    # The first job creates its branch in one call; a re-run learns it exists from that
    # call's 422, then reads and moves it: two calls more than the first job.
    assert again.github["git/create-ref"] == 1 and again.github["git/update-ref"] == 1
    assert again.installation_calls == 17
    bots = [c for c in fake_github.comments(REPO, number) if c.user.type == "Bot"]
    assert len(bots) == 1 and "Opened draft pull request" in bots[0].body


def test_showcase_packing_asks_tokenize_at_most_three_times(
    fake_github, model_server, showcase, runtime
) -> None:
    cost, _ = _fix_issue(fake_github, model_server, runtime, 3)
    assert cost.model["POST /v1/chat/completions"] == 1
    # The prompt's frame and one measurement of the candidate files. Every file fits whole
    # here, so the packed code is that same text and the job's count cache answers for it.
    assert cost.tokenize_requests == 2 <= 3


# --- /iquest fix on a pull request → one review of suggestions --------------------------------
CALC = "acme/calc"
CALC_INSTALLATION = 4242

PULL_TO_SUGGESTIONS = Counter({
    "repos/get-content": 1,                   # .github/iquest.yml, from the default branch
    "repos/get-collaborator-permission-level": 1,
    "reactions/create-for-issue-comment": 1,  # 👀 on the asking comment
    "issues/list-comments": 1,                # the newest page (the PR says how many), which
                                              # also holds the asking comment
    "issues/create-comment": 1,               # the status: Working
    "pulls/get": 2,                           # the head; again before posting (moved?)
    "checks/create": 1,                       # the `iquest` check run: queued,
    "checks/update": 2,                       # in progress, completed
    "pulls/list-files": 1,
    "repos/download-tarball-archive": 1,
    "GET /_codeload": 1,
    "pulls/list-reviews": 1,                  # a retried job finds its review
    "pulls/create-review": 1,
    "issues/update-comment": 1,               # the status: Done
})


@pytest.mark.parametrize("comments", [3, 400])
def test_pull_suggestions_cost_the_same_for_3_and_400_comments(
    fake_github, model_server, runtime, comments
) -> None:
    fake_github.create_repo(CALC, {"calc.py": MAIN, "README.md": "# calc\n"})
    fake_github.add_installation(CALC_INSTALLATION, "acme")
    fake_github.add_collaborator(CALC, "alice", "write")
    fake_github.add_collaborator(CALC, "bob", "write")
    pull = fake_github.open_pull(CALC, head="feature", title="Add percent", user="alice",
                                 body="Adds a percent helper.", files={"calc.py": PR_HEAD})
    add_thread(fake_github, CALC, pull.number, comments)
    asking = fake_github.add_issue_comment(CALC, pull.number, "/iquest fix percent of 100",
                                           user="alice")
    model_server.script(model_reply("`percent` scales by 10.", PERCENT_FIX))
    job = Job(kind=JobKind.FIX_PULL, job_id="pr-job", delivery_id="pr-d",
              installation_id=CALC_INSTALLATION, repo_full_name=CALC, number=pull.number,
              source=TriggerSource.ISSUE_COMMENT, sender_login="alice", comment_id=asking.id)
    cost = run_counted(job, runtime, fake_github, model_server)
    assert len(fake_github.reviews(CALC, pull.number)) == 1
    # The request text came from the page already read, not from a second call.
    assert "percent of 100" in model_server.chat_requests()[0].json["messages"][-1]["content"]
    assert _without_mint(cost.github) == PULL_TO_SUGGESTIONS
    assert cost.installation_calls == 15 <= CEILING
