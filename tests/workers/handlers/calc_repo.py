"""The small `calc` repository the pull-request flows are tested on, and helpers shared by them."""

from __future__ import annotations

from tests.fakes.model_server import ChatReply
from tests.support.webhooks import post_webhook, repo_variant

REPO = "acme/calc"
INSTALLATION_ID = 4242

MAIN = '''"""Small arithmetic helpers."""


def add(a, b):
    return a - b


def mean(values):
    if not values:
        return 0.0
    return sum(values) / len(values)


def clamp(value, low, high):
    return max(low, min(value, high))


def square(x):
    return x * x
'''
# The PR adds `percent`, with a bug on its line 23; `add` (line 5) is outside its diff.
PR_HEAD = MAIN + '''

def percent(part, whole):
    return part / whole * 10
'''

PERCENT_FIX = '''calc.py
```python
<<<<<<< SEARCH
def percent(part, whole):
    return part / whole * 10
=======
def percent(part, whole):
    if whole == 0:
        return 0.0
    return part / whole * 100
>>>>>>> REPLACE
```
'''

ADD_FIX = '''calc.py
```python
<<<<<<< SEARCH
def add(a, b):
    return a - b
=======
def add(a, b):
    return a + b
>>>>>>> REPLACE
```
'''

BOT_BRANCH = "iquest/issue-1"
TRAILER = "Generated-by: iquest-autofix"


def model_reply(root_cause: str, *blocks: str, tests: str = "None.") -> ChatReply:
    """A model answer in the prompt's structure, with the given edit blocks."""
    return ChatReply(f"## Root cause\n\n{root_cause}\n\n## Changes\n\n"
                     + "\n".join(blocks) + f"\n## Tests\n\n{tests}\n")


def status_comment(fake_github, number: int) -> str:
    """The body of the app's status comment on issue or PR `number` ("" before it exists)."""
    bots = [c for c in fake_github.comments(REPO, number) if c.user.type == "Bot"]
    return bots[0].body if bots else ""


def seed_calc(fake_github, **permissions: str) -> None:
    """`calc` on main with the App installed; `permissions` maps collaborators to their
    permission (`alice="write"`)."""
    fake_github.create_repo(REPO, {"calc.py": MAIN, "README.md": "# calc\n"})
    fake_github.add_installation(INSTALLATION_ID, "acme")
    for login, permission in permissions.items():
        fake_github.add_collaborator(REPO, login, permission)


def open_percent_pull(fake_github):
    """alice's pull request adding `percent` (its bug on line 23) from branch `feature`."""
    return fake_github.open_pull(REPO, head="feature", title="Add percent",
                                 body="Adds a percent helper.", user="alice",
                                 files={"calc.py": PR_HEAD})


def open_fork_pull(fake_github):
    """mallory's pull request adding `percent`, from branch `idea` of the fork mallory/calc."""
    fake_github.create_repo("mallory/calc", fork_of=REPO)
    return fake_github.open_pull(REPO, head="idea", head_repo="mallory/calc",
                                 title="Add percent", user="mallory", files={"calc.py": PR_HEAD})


def open_bot_draft(fake_github, first_fix: str, issue_title: str, issue_body: str,
                   collaborators: tuple[str, ...] = ()):
    """The app's own draft PR for issue #1: one commit of its first fix on `BOT_BRANCH`."""
    seed_calc(fake_github, **dict.fromkeys(collaborators, "write"))
    issue = fake_github.open_issue(REPO, issue_title, issue_body, user="alice")
    fake_github.commit_files(REPO, BOT_BRANCH, {"calc.py": first_fix},
                             message=f"Fix #{issue.number}: {issue_title}\n\nOops.\n\n{TRAILER}\n")
    return fake_github.open_pull(REPO, head=BOT_BRANCH, title=f"Fix #1: {issue_title}",
                                 draft=True, body="Fixes #1", user="iquest-autofix[bot]")


def branch_head(fake_github) -> str:
    return fake_github.refs(REPO)[f"refs/heads/{BOT_BRANCH}"]


def deliver(receiver, event: str, example: str, delivery_id: str | None = None,
            **changes: object) -> None:
    """POST GitHub's example delivery `example` (under tests/data/github/webhooks/) as `event`,
    moved to the calc repository and installation with `changes` (dotted paths) applied, and
    check the receiver queued it (202)."""
    payload = repo_variant(example, REPO, INSTALLATION_ID, **changes)
    answer = post_webhook(receiver.url, event, payload, delivery_id)
    assert answer.status_code == 202, answer.text
