"""A code-scanning alert delivered by webhook ends in one draft PR on `iquest/alert-N` that links
the alert, with the fix at the alert's location; without the permission, a check run says what
to grant; alerts the settings do not ask for start nothing.

Real receiver, Redis and Celery worker, the fake GitHub (code-scanning routes) and the scripted
model. The payload is GitHub's own example (tests/data/github/webhooks/code_scanning_alert/),
moved to this repository and its default branch.
"""

from __future__ import annotations

from tests.fakes.model_server import ChatReply
from tests.support.webhooks import post_webhook, repo_variant
from tests.support.worker import wait_until

REPO = "acme/shop"
INSTALLATION_ID = 3131
SETTINGS = "code_scanning:\n  fix: true\n  min_severity: warning\n  tools: [CodeQL]\n"
QUERY = '''"""Orders lookup."""

import sqlite3


def connect(path):
    return sqlite3.connect(path)


def find_orders(db, customer):
    cursor = db.cursor()
    cursor.execute("SELECT id, total FROM orders WHERE customer = '" + customer + "'")
    return cursor.fetchall()


def count(db):
    return db.execute("SELECT count(*) FROM orders").fetchone()[0]
'''
FILES = {
    ".github/iquest.yml": SETTINGS,
    "shop/__init__.py": "",
    "shop/orders.py": QUERY,
    "shop/cart.py": "def add(cart, item):\n    cart.append(item)\n    return cart\n",
}
FIX = '''## Root cause

`find_orders` builds its SQL from the customer's name, so a crafted name runs any query.

## Changes

shop/orders.py
```python
<<<<<<< SEARCH
    cursor.execute("SELECT id, total FROM orders WHERE customer = '" + customer + "'")
=======
    cursor.execute("SELECT id, total FROM orders WHERE customer = ?", (customer,))
>>>>>>> REPLACE
```

## Tests

A name with a quote finds no orders instead of failing.
'''


def alert_payload(number: int, action: str = "created") -> dict:
    return repo_variant(
        f"code_scanning_alert/{action}.json", REPO, INSTALLATION_ID,
        **{
            "alert.number": number,
            "ref": "refs/heads/main",
            "repository.default_branch": "main",
        },
    )


def seed(fake_github, files=FILES, permissions=None):
    fake_github.create_repo(REPO, files)
    fake_github.add_installation(INSTALLATION_ID, "acme", permissions=permissions)
    return fake_github.add_code_scanning_alert(
        REPO, rule_id="py/sql-injection", path="shop/orders.py", start_line=12,
        description="Database query built from user-controlled sources",
        message="This SQL query depends on a user-provided value.", severity="error",
        security_severity="high",
    )


def test_an_alert_by_webhook_ends_in_one_draft_pr_linking_it_with_the_fix_at_its_location(
    fake_github, model_server, receiver, worker
) -> None:
    alert = seed(fake_github)
    model_server.script(ChatReply(FIX), ChatReply(FIX))
    assert post_webhook(receiver.url, "code_scanning_alert", alert_payload(alert.number)).status_code == 202
    wait_until(lambda: fake_github.pulls(REPO), timeout=120, what="the draft PR")

    [request] = model_server.chat_requests()
    user = request.json["messages"][-1]["content"]
    assert f"# Code scanning alert #{alert.number}: Database query built from user-controlled sources" in user
    assert "<alert>" in user and "py/sql-injection" in user
    # The pointed line, marked, is in the prompt: the strongest localisation there is.
    assert "   12> " in user and "shop/orders.py` lines 12–12" in user

    [pull] = fake_github.pulls(REPO)
    assert pull.draft and pull.head_ref == f"iquest/alert-{alert.number}"
    body = fake_github.issue(REPO, pull.number).body
    assert f"/security/code-scanning/{alert.number})" in body
    assert "(`py/sql-injection` from CodeQL) at `shop/orders.py:12-12`" in body
    fixed = fake_github.repo(REPO).read_file(f"iquest/alert-{alert.number}", "shop/orders.py")
    assert fixed.splitlines()[11] == (
        '    cursor.execute("SELECT id, total FROM orders WHERE customer = ?", (customer,))'
    )
    assert fixed.splitlines()[:11] == QUERY.splitlines()[:11]
    # No comment on issue #N: an alert's number is not an issue's.
    assert not fake_github.repo(REPO).issues.get(alert.number) or not fake_github.comments(REPO, alert.number)

    # The alert reopened (another delivery): the same branch and pull request, updated.
    assert post_webhook(receiver.url, "code_scanning_alert", alert_payload(alert.number, "reopened")).status_code == 202
    wait_until(lambda: len(model_server.chat_requests()) == 2, timeout=120, what="the second run")
    wait_until(lambda: len(fake_github.repo(REPO).check_runs) >= 2, timeout=60, what="its report")
    assert len(fake_github.pulls(REPO)) == 1


def test_without_the_permission_a_check_run_says_what_to_grant(
    fake_github, model_server, receiver, worker
) -> None:
    permissions = {"contents": "write", "issues": "write", "pull_requests": "write",
                   "checks": "write", "metadata": "read"}
    alert = seed(fake_github, permissions=permissions)
    assert post_webhook(receiver.url, "code_scanning_alert", alert_payload(alert.number)).status_code == 202
    wait_until(lambda: fake_github.repo(REPO).check_runs, timeout=120, what="the check run")
    [run] = fake_github.repo(REPO).check_runs.values()
    assert "security_events: read" in run.output["summary"]
    assert run.conclusion == "neutral" and not fake_github.pulls(REPO)
    assert model_server.chat_requests() == []
    # Both refusals were provoked on purpose: the token first asked for the permission.
    assert fake_github.pop_failures() == [
        f"POST /app/installations/{INSTALLATION_ID}/access_tokens: 422: token asked for "
        "security_events:read, not granted",
        f"GET /repos/{REPO}/code-scanning/alerts/{alert.number}: 403: token lacks security_events:read",
    ]


def test_alerts_the_settings_do_not_ask_for_start_nothing(
    fake_github, model_server, receiver, worker, redis_client
) -> None:
    files = {**FILES, ".github/iquest.yml": "code_scanning:\n  fix: true\n  min_severity: critical\n"}
    alert = seed(fake_github, files=files)
    payload = alert_payload(alert.number)
    assert post_webhook(receiver.url, "code_scanning_alert", payload).status_code == 202
    # Another branch's alert is not even queued.
    other = {**payload, "ref": "refs/heads/feature"}
    response = post_webhook(receiver.url, "code_scanning_alert", other)
    assert response.status_code == 200 and "not the default branch" in response.text
    wait_until(lambda: worker.log().count("not fixed: its severity (high) is below") == 1,
               timeout=120, what="the refusal in the log")
    assert not fake_github.pulls(REPO) and not fake_github.repo(REPO).check_runs
    assert model_server.chat_requests() == []


def _ask_for_a_fix(fake_github, receiver, number: int) -> None:
    """alice comments `/iquest fix` on pull request `number`, and GitHub delivers it."""
    asking = fake_github.add_issue_comment(REPO, number, "/iquest fix", user="alice")
    payload = repo_variant(
        "issue_comment/created.pull_request.json", REPO, INSTALLATION_ID,
        **{
            "issue.number": number,
            "issue.pull_request": {"url": f"https://api.github.com/repos/{REPO}/pulls/{number}"},
            "comment.id": asking.id, "comment.body": "/iquest fix",
            "comment.user.login": "alice", "comment.author_association": "OWNER",
            "sender.login": "alice",
        },
    )
    assert post_webhook(receiver.url, "issue_comment", payload).status_code == 202


def test_iquest_fix_on_a_pull_request_includes_its_open_alerts(
    fake_github, model_server, receiver, worker
) -> None:
    fake_github.create_repo(REPO, {**FILES, "shop/AGENTS.md": "Use parameterised queries.\n"})
    fake_github.add_installation(INSTALLATION_ID, "acme")
    fake_github.add_collaborator(REPO, "alice", "write")
    pull = fake_github.open_pull(
        REPO, head="feature", title="Cart: allow duplicates", body="", user="alice",
        files={"shop/cart.py": "def add(cart, item):\n    cart.append(item)\n    return list(cart)\n"},
    )
    fake_github.add_code_scanning_alert(
        REPO, rule_id="py/sql-injection", path="shop/orders.py", start_line=12,
        ref=f"refs/pull/{pull.number}/merge", description="Database query built from user-controlled sources",
        message="This SQL query depends on a user-provided value.", severity="error",
    )
    # Below min_severity: left out.
    fake_github.add_code_scanning_alert(
        REPO, rule_id="py/unused-import", path="shop/cart.py", start_line=1,
        ref=f"refs/pull/{pull.number}/merge", severity="note",
    )
    model_server.script(ChatReply(FIX))
    _ask_for_a_fix(fake_github, receiver, pull.number)
    wait_until(lambda: len(fake_github.pulls(REPO)) == 2, timeout=120, what="the stacked PR")
    [request] = model_server.chat_requests()
    prompt = request.json["messages"][-1]["content"]
    assert "Also fix the open code-scanning alerts on this pull request" in prompt
    assert "alert #1 (CodeQL, py/sql-injection" in prompt and "shop/orders.py lines 12-12" in prompt
    assert "py/unused-import" not in prompt
    stacked = next(p for p in fake_github.pulls(REPO) if p.number != pull.number)
    fixed = fake_github.repo(REPO).read_file(stacked.head_ref, "shop/orders.py")
    assert "WHERE customer = ?" in fixed
    assert "Repository guidance used: `shop/AGENTS.md`." in fake_github.issue(REPO, stacked.number).body


def test_iquest_fix_without_the_permission_says_what_to_grant_and_fixes_anyway(
    fake_github, model_server, receiver, worker
) -> None:
    fake_github.create_repo(REPO, FILES)
    fake_github.add_installation(INSTALLATION_ID, "acme", permissions={
        "contents": "write", "issues": "write", "pull_requests": "write", "checks": "write",
        "metadata": "read"})
    fake_github.add_collaborator(REPO, "alice", "write")
    pull = fake_github.open_pull(
        REPO, head="feature", title="Orders", body="", user="alice",
        files={"shop/cart.py": "def add(cart, item):\n    return [*cart, item]\n"},
    )
    fake_github.add_code_scanning_alert(
        REPO, rule_id="py/sql-injection", path="shop/orders.py", start_line=12,
        ref=f"refs/pull/{pull.number}/merge", severity="error",
    )
    model_server.script(ChatReply(FIX))
    _ask_for_a_fix(fake_github, receiver, pull.number)
    wait_until(lambda: len(fake_github.pulls(REPO)) == 2, timeout=120, what="the stacked PR")
    notes = [c.body for c in fake_github.comments(REPO, pull.number)
             if c.user.type == "Bot" and "code-scanning-permission" in c.body]
    assert len(notes) == 1 and "`security_events: read`" in notes[0]
    [request] = model_server.chat_requests()
    assert "code-scanning alerts" not in request.json["messages"][-1]["content"]
    assert fake_github.pop_failures() == [
        f"POST /app/installations/{INSTALLATION_ID}/access_tokens: 422: token asked for "
        "security_events:read, not granted",
        f"GET /repos/{REPO}/code-scanning/alerts: 403: token lacks security_events:read",
    ]
