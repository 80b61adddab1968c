"""Shared by the crash tests: an `autofix` issue on the calc repository, its trigger, its end state."""

from __future__ import annotations

import threading

import psutil

from tests.support.webhooks import post_webhook, repo_variant
from tests.support.worker import WorkerProcess
from tests.workers.handlers import calc_repo
from tests.workers.handlers.calc_repo import ADD_FIX, INSTALLATION_ID, REPO, model_reply

OPENED = "Opened draft pull request"


def seed_calc(fake_github) -> None:
    calc_repo.seed_calc(fake_github, alice="maintain")


def open_autofix_issue(fake_github, receiver_url: str, title: str = "add() subtracts") -> int:
    """Open an issue and deliver its `autofix` label to the receiver; the issue's number."""
    issue = fake_github.open_issue(REPO, title, "`add(2, 2)` returns 0.", user="carol")
    labeled = repo_variant(
        "issues/labeled.json", REPO, INSTALLATION_ID,
        **{"label.name": "autofix", "issue.number": issue.number, "sender.login": "alice"},
    )
    assert post_webhook(receiver_url, "issues", labeled).status_code == 202
    return issue.number


def add_fix_reply():
    return model_reply("`add` subtracts.", ADD_FIX)


def script_held_fix(model_server, then: int = 0) -> threading.Event:
    """Script the model's next answer, held until the returned event is set (the test acts
    while a job waits on the model), and `then` answers after it, given at once."""
    held = threading.Event()
    reply = add_fix_reply()
    model_server.script(type(reply)(reply.content, hold=held),
                        *(add_fix_reply() for _ in range(then)))
    return held


def bot_comments(fake_github, number: int) -> list:
    return [c for c in fake_github.comments(REPO, number) if c.user.type == "Bot"]


def status(fake_github, number: int) -> str:
    bots = bot_comments(fake_github, number)
    return bots[0].body if bots else ""


def assert_one_fix(fake_github, number: int) -> None:
    """Exactly one branch holding one commit on main, one draft PR from it, one status comment."""
    branch = f"iquest/issue-{number}"
    pulls = [p for p in fake_github.pulls(REPO) if p.head_ref == branch]
    assert len(pulls) == 1 and pulls[0].draft, pulls
    assert f"refs/heads/{branch}" in fake_github.refs(REPO)
    repo = fake_github.repo(REPO)
    assert list(repo.commit(branch).parents) == [repo.commit("main").sha]
    assert "return a + b" in repo.read_file(branch, "calc.py")
    bots = bot_comments(fake_github, number)
    assert len(bots) == 1, [b.body for b in bots]
    assert OPENED in bots[0].body and f"#{pulls[0].number}" in bots[0].body


def connected_to(worker: WorkerProcess, port: int) -> psutil.Process:
    """The process of `worker` (itself or a pool child) with a connection open to `port`."""
    root = psutil.Process(worker.process.pid)
    for process in [root, *root.children(recursive=True)]:
        try:
            if any(c.raddr and c.raddr.port == port for c in process.net_connections("tcp")):
                return process
        except psutil.NoSuchProcess:
            continue
    raise AssertionError(f"no process of worker {worker.process.pid} is connected to :{port}")


def port_of(url: str) -> int:
    return int(url.rstrip("/").rsplit(":", 1)[1].split("/")[0])
