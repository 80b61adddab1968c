"""No secret leaves where it belongs, and the installation token asked for is the narrowest.

A full issue fix and a /repair job run with distinctive secrets — the App's private key, the
webhook secret (also the /repair bearer), the model API key, and every installation token the
fake GitHub minted — through the real receiver, a real worker at DEBUG, the fake GitHub and
the scripted model. Then everything recorded is searched: the worker's and the receiver's log
lines, every request body GitHub received (comments, PR bodies, trees, commits) and every git
object it stores, every prompt the model received, and the /jobs result.
"""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from tests.fakes.model_server import ChatReply
from tests.support.receiver import ReceiverThread, receiver_settings
from tests.support.webhooks import post_webhook, repo_variant
from tests.support.worker import wait_until
from tests.workers.crash_flow import OPENED, add_fix_reply, assert_one_fix, seed_calc, status
from tests.workers.handlers.calc_repo import INSTALLATION_ID, REPO
from workers.intake.jobs import JobKind
from workers.runtime import JOB_PERMISSIONS

WEBHOOK_SECRET = "whsec-Qz7Webhook-SECRET-4f1c9e"
MODEL_API_KEY = "sk-model-Kx9ApiKey-SECRET-77aa03"
REPAIR_TOKEN = "repair-Jm4Bearer-SECRET-a1b2c3"
TOKEN_ROUTE = "POST /app/installations/{installation_id}/access_tokens"


def _private_key_pieces(pem: str) -> list[str]:
    """Every base64 line of the key body: any one of them in the open is a leak."""
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def test_no_secret_reaches_a_log_comment_pull_commit_prompt_or_job_result(
    fake_github, model_server, redis_server, launch_worker, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seed_calc(fake_github)
    repair_answer = ChatReply("## Root cause\n\n`add` subtracts.\n\n## Changes\n\n"
                              + add_fix_reply().content.split("## Changes\n\n", 1)[1])
    model_server.script(add_fix_reply(), repair_answer)
    receiver = ReceiverThread(receiver_settings(webhook_secret=WEBHOOK_SECRET,
                                                repair_token=REPAIR_TOKEN), redis_server.url)
    receiver.start()
    worker = launch_worker(wait=False, IQUEST_WEBHOOK_SECRET=WEBHOOK_SECRET,
                           IQUEST_MODEL_API_KEY=MODEL_API_KEY, IQUEST_LOG_LEVEL="DEBUG")
    auth = {"Authorization": f"Bearer {REPAIR_TOKEN}"}
    try:
        worker.wait_ready()
        issue = fake_github.open_issue(REPO, "add() subtracts", "`add(2, 2)` is 0.", user="carol")
        labeled = repo_variant(
            "issues/labeled.json", REPO, INSTALLATION_ID,
            **{"label.name": "autofix", "issue.number": issue.number, "sender.login": "alice"},
        )
        answer = post_webhook(receiver.url, "issues", labeled, secret=WEBHOOK_SECRET)
        assert answer.status_code == 202
        wait_until(lambda: OPENED in status(fake_github, issue.number), timeout=90,
                   what="the draft PR")
        queued = httpx.post(f"{receiver.url}/repair", headers=auth, json={
            "issue": {"title": "add() subtracts", "body": "`add(2, 2)` is 0."},
            "files": {"calc.py": fake_github.repo(REPO).read_file("main", "calc.py")}})
        assert queued.status_code == 202, queued.text
        result_url = f"{receiver.url}{queued.json()['status_url']}"
        wait_until(lambda: httpx.get(result_url, headers=auth).json()["status"] == "done",
                   timeout=60, what="the repair result")
        job_result = httpx.get(result_url, headers=auth).text
    finally:
        worker.stop()
        receiver.stop()
    assert_one_fix(fake_github, issue.number)

    # The token asked for names the one repository and the job's permissions, nothing more.
    requests = [call.body for call in fake_github.calls(TOKEN_ROUTE)]
    assert requests and all(
        body == {"repositories": ["calc"], "permissions": JOB_PERMISSIONS[JobKind.FIX_ISSUE]}
        for body in requests), requests
    assert "workflows" not in JOB_PERMISSIONS[JobKind.FIX_ISSUE]

    tokens = list(fake_github.world.tokens)
    secrets = {"webhook secret": [WEBHOOK_SECRET], "model API key": [MODEL_API_KEY],
               "repair token": [REPAIR_TOKEN],
               "installation token": tokens,
               "App private key": _private_key_pieces(fake_github.private_key)}
    repo = fake_github.repo(REPO)
    recorded = {
        "worker log": worker.log(),
        "receiver log": caplog.text,
        "requests to GitHub": "\n".join(json.dumps(c.body) + c.path + json.dumps(c.query)
                                        for c in fake_github.calls()),
        "git objects": "\n".join(data.decode(errors="replace")
                                 for _, data in repo.git.objects.values()),
        "comments and pulls": "\n".join(
            [c.body for c in fake_github.comments(REPO, issue.number)]
            + [f"{i.title}\n{i.body}" for i in (fake_github.issue(REPO, p.number)
                                                 for p in fake_github.pulls(REPO))]),
        "prompts": "\n".join(r.body.decode(errors="replace")
                             for r in model_server.chat_requests()),
        "/jobs result": job_result,
    }
    assert tokens and "minted installation token" in recorded["worker log"]
    assert "asking the model" in recorded["worker log"]  # the log really covers the job
    leaks = [f"{name} in {where}" for name, values in secrets.items() for value in values
             for where, text in recorded.items() if value in text]
    assert not leaks, leaks
    # The credentials did travel, where they belong: in the Authorization headers.
    assert any({k.lower(): v for k, v in r.headers.items()}.get("authorization")
               == f"Bearer {MODEL_API_KEY}" for r in model_server.chat_requests())
