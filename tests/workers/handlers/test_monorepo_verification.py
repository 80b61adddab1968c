"""A monorepo whose fix lands in one package: verification runs that package's own test
command from its folder (its `.iquest.yml`), not the root's, and the PR says which.

Real receiver, Redis, Celery worker and bubblewrap sandbox, the fake GitHub, the scripted model.
"""

from __future__ import annotations

import pytest

from tests.fakes.model_server import ChatReply
from tests.support.webhooks import post_webhook, repo_variant
from tests.support.worker import wait_until

REPO = "acme/mono"
INSTALLATION_ID = 2525

# The root's command fails whatever the fix does: had it run, the counts would show it.
ROOT_TEST = "python3 -c 'import sys; print(\"root suite\"); sys.exit(3)'"
FILES = {
    ".github/iquest.yml": f"test:\n  command: \"{ROOT_TEST}\"\n",
    "services/billing/.iquest.yml": "test:\n  command: python3 check_billing.py\n  timeout: 60\n",
    "services/billing/billing.py": "def invoice_total(amounts):\n    return sum(amounts) - 1\n",
    # Imports `billing` as a sibling: it works only when run from the package's folder.
    "services/billing/check_billing.py": (
        "from billing import invoice_total\n\nassert invoice_total([1, 2]) == 3, invoice_total([1, 2])\n"
        "print('billing ok')\n"
    ),
    "web/.iquest.yml": "test:\n  command: python3 -c 'raise SystemExit(5)'\n",
    "web/app.py": "def render():\n    return 'ok'\n",
}

FIX = '''## Root cause

`invoice_total` subtracts one.

## Changes

services/billing/billing.py
```python
<<<<<<< SEARCH
    return sum(amounts) - 1
=======
    return sum(amounts)
>>>>>>> REPLACE
```

## Tests

`check_billing.py` covers it.
'''


@pytest.fixture
def worker_settings(bwrap_sandbox) -> dict[str, str]:
    return {"IQUEST_SANDBOX": "bubblewrap"}


def test_the_fix_in_one_package_runs_that_packages_command_from_its_folder(
    fake_github, model_server, receiver, worker
) -> None:
    fake_github.create_repo(REPO, FILES)
    fake_github.add_installation(INSTALLATION_ID, "acme")
    fake_github.add_collaborator(REPO, "alice", "maintain")
    issue = fake_github.open_issue(
        REPO, "invoice_total is one short", "`invoice_total` in services/billing/billing.py is off by one.",
        user="alice",
    )
    model_server.script(ChatReply(FIX))
    payload = repo_variant(
        "issues/labeled.json", REPO, INSTALLATION_ID,
        **{"label.name": "autofix", "issue.number": issue.number, "sender.login": "alice"},
    )
    assert post_webhook(receiver.url, "issues", payload).status_code == 202
    wait_until(lambda: fake_github.pulls(REPO), timeout=180, what="the draft PR")
    [pull] = fake_github.pulls(REPO)
    body = fake_github.issue(REPO, pull.number).body
    assert "## Receipt" in body
    assert "Package `services/billing/`: `python3 check_billing.py`, run in that folder" in body
    # Before: the package's check fails (the bug); after: it passes. One command, one outcome.
    assert "| Tests before → after | 0 passed, 1 failed → 1 passed, 0 failed |" in body
    assert "root suite" not in body and "sys.exit(3)" not in body and "SystemExit(5)" not in body
