"""The GitHub Action (`action.yml`) and its example workflow: valid against SchemaStore's
published schemas, and its own step commands run here, as written, against the fake GitHub."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.fakes.model_server import ChatReply
from tests.support.webhooks import variant

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "tests" / "fixtures" / "schemas"  # origin: tests/fixtures/schemas/ORIGIN.md
SHOWCASE = ROOT / "tests" / "fixtures" / "showcase"
REPO = "acme/login-service"
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class _Yaml12Loader(yaml.SafeLoader):
    """YAML as GitHub reads it: `on` is a key, only true/false are booleans."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _load(path: Path) -> dict:
    return yaml.load(path.read_text(), Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader


def _errors(document: dict, schema_file: str) -> list[str]:
    validator = jsonschema.Draft7Validator(json.loads((SCHEMAS / schema_file).read_text()))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


ACTION = _load(ROOT / "action.yml")
WORKFLOW = _load(ROOT / "examples" / "workflows" / "iquest.yml")


def _step(step_id: str) -> dict:
    return next(s for s in ACTION["runs"]["steps"] if s.get("id") == step_id)


def _lookup(expression: str, context: dict) -> str:
    """The few expression forms action.yml uses: a dotted context path, or `path == 'text'`."""
    if "==" in expression:
        left, right = (part.strip() for part in expression.split("==", 1))
        return "true" if _lookup(left, context) == right.strip("'") else "false"
    value: object = context
    for key in expression.split("."):
        assert isinstance(value, dict) and key in value, f"action.yml uses ${{{{ {expression} }}}}"
        value = value[key]
    return str(value)


def _render(text: str, context: dict) -> str:
    return _EXPRESSION.sub(lambda m: _lookup(m[1], context), text)


def _run_step(step: dict, context: dict, env: dict[str, str]) -> subprocess.CompletedProcess:
    step_env = {name: _render(str(value), context) for name, value in step.get("env", {}).items()}
    return subprocess.run(["bash", "-e", "-c", step["run"]], env={**env, **step_env},
                          capture_output=True, text=True, timeout=120)


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line)


def test_action_metadata_is_valid_against_schemastore() -> None:
    assert _errors(ACTION, "github-action.json") == []
    assert ACTION["runs"]["using"] == "composite"
    # Installs the package from the action's own checkout.
    install = next(s for s in ACTION["runs"]["steps"] if "pip install" in s.get("run", ""))
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    # No step interpolates event text into its script (script injection): only env does.
    for step in ACTION["runs"]["steps"]:
        assert "github.event" not in step.get("run", "")


def test_example_workflow_is_valid_and_least_privilege() -> None:
    assert _errors(WORKFLOW, "github-workflow.json") == []
    assert WORKFLOW["permissions"] == {
        "contents": "write", "pull-requests": "write", "issues": "write"}
    # Only events that run in the base repository; never pull_request_target.
    assert set(WORKFLOW["on"]) == {"issues", "issue_comment"}
    [job] = WORKFLOW["jobs"].values()
    assert "!github.event.issue.pull_request" in job["if"]
    assert "COLLABORATOR" in job["if"]
    [step] = job["steps"]
    assert step["with"]["model-url"] == "${{ secrets.IQUEST_MODEL_URL }}"


@pytest.fixture
def actions_run(fake_github, model_server, tmp_path):
    """The Action's steps on a runner: the inputs, contexts and default variables they read."""
    root = SHOWCASE / "repo"
    fake_github.create_repo(REPO, {str(p.relative_to(root)): p.read_text()
                                   for p in root.rglob("*.py")})
    fake_github.add_installation(55, "acme")
    fake_github.add_collaborator(REPO, "dana", "write")
    title, _, body = (SHOWCASE / "issue.md").read_text().partition("\n")
    number = fake_github.open_issue(REPO, title, body, user="carol").number
    # An installation token stands in for the run's GITHUB_TOKEN (GET /user answers 403).
    token = fake_github.installation_token(55)
    github = {"token": token, "api_url": fake_github.url}
    inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    inputs = {name: _render(value, {"github": github}) for name, value in inputs.items()}
    inputs["model-url"] = model_server.base_url
    inputs["model-context-tokens"] = "32768"
    event_path = tmp_path / "event.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IQUEST_", "GITHUB_"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}",
        GITHUB_ACTIONS="true", GITHUB_SERVER_URL="https://github.com", GITHUB_RUN_ID="777",
        GITHUB_REPOSITORY=REPO, GITHUB_ACTION_PATH=str(ROOT), GITHUB_EVENT_PATH=str(event_path),
        GITHUB_OUTPUT=str(tmp_path / "output"),
    )
    context = {"inputs": inputs, "github": github, "runner": {"temp": str(tmp_path)},
               "steps": {}}
    return number, token, event_path, env, context


def _gate(event: str, payload: dict, event_path: Path, env: dict, context: dict) -> dict:
    event_path.write_text(json.dumps(payload))
    output = Path(env["GITHUB_OUTPUT"])
    output.write_text("")
    result = _run_step(_step("gate"), context, {**env, "GITHUB_EVENT_NAME": event})
    assert result.returncode == 0, result.stderr
    outputs = _outputs(output)
    context["steps"]["gate"] = {"outputs": outputs}
    return outputs


def _issue_event(relative: str, number: int, **changes) -> dict:
    # An Actions event carries the webhook payload without an `installation`.
    payload = variant(relative, **{"issue.number": number, "issue.state": "open",
                                   "repository.full_name": REPO, **changes})
    payload.pop("installation", None)
    return payload


def test_labelled_issue_runs_iquest_fix_with_the_workflows_token(
    fake_github, model_server, actions_run
) -> None:
    number, token, event_path, env, context = actions_run
    payload = _issue_event("issues/labeled.json", number, **{
        "label.name": "autofix", "sender.login": "dana", "sender.type": "User"})
    outputs = _gate("issues", payload, event_path, env, context)
    assert outputs == {"run": "true", "number": str(number), "requested-by": "dana"}

    fix = _step("fix")
    assert _lookup(fix["if"], context) == "true"
    model_server.script(ChatReply((SHOWCASE / "model_response.md").read_text()))
    result = _run_step(fix, context, env)
    assert result.returncode == 0, result.stderr
    [pull] = fake_github.pulls(REPO)
    assert pull.draft and pull.head_ref == f"iquest/issue-{number}"
    pull_body = fake_github.issue(REPO, pull.number).body
    assert "github-actions[bot]" in pull_body
    assert "https://github.com/acme/login-service/actions/runs/777" in pull_body
    # The workflow's token, as sent by the command, on every call; no App JWT anywhere.
    assert {c.headers.get("authorization") for c in fake_github.calls()} == {f"token {token}"}
    assert fake_github.call_count("apps/create-installation-access-token") == 0
    fake_github.assert_clean()


@pytest.mark.parametrize(
    ("relative", "changes", "why"),
    [
        ("issue_comment/created.json",
         {"comment.body": "/iquest fix", "comment.author_association": "NONE"},
         "author association 'NONE'"),
        ("issue_comment/created.json",
         {"comment.body": "/iquest fix", "comment.user.login": "ci[bot]",
          "comment.user.type": "Bot", "sender.login": "ci[bot]", "sender.type": "Bot"},
         "bot"),
        ("issue_comment/created.pull_request.json",
         {"comment.body": "/iquest fix", "comment.author_association": "COLLABORATOR"},
         "the Action fixes issues only"),
        ("issues/labeled.json", {"label.name": "bug"}, "label 'bug'"),
    ],
    ids=["stranger", "bot", "pull-request", "other-label"],
)
def test_the_gate_refuses_what_the_app_refuses(
    fake_github, actions_run, relative, changes, why
) -> None:
    number, _, event_path, env, context = actions_run
    event = relative.split("/")[0]
    payload = _issue_event(relative, number, **changes)
    if "pull_request" in relative:
        payload["issue"]["pull_request"] = payload["issue"].get("pull_request") or {"url": "x"}
    event_path.write_text(json.dumps(payload))
    Path(env["GITHUB_OUTPUT"]).write_text("")
    result = _run_step(_step("gate"), context, {**env, "GITHUB_EVENT_NAME": event})
    assert result.returncode == 0, result.stderr
    assert _outputs(Path(env["GITHUB_OUTPUT"])) == {"run": "false"}
    assert why in result.stderr
    context["steps"]["gate"] = {"outputs": {"run": "false"}}
    assert _lookup(_step("fix")["if"], context) == "false"
    assert fake_github.call_count() == 0


def test_a_trusted_comment_on_an_issue_runs(fake_github, actions_run) -> None:
    number, _, event_path, env, context = actions_run
    payload = _issue_event("issue_comment/created.json", number, **{
        "comment.body": "/iquest fix please", "comment.author_association": "MEMBER",
        "sender.login": "dana"})
    assert _gate("issue_comment", payload, event_path, env, context) == {
        "run": "true", "number": str(number), "requested-by": "dana"}
