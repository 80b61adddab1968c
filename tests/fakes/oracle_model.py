"""The oracle model for proving `iquest eval`: a model server that answers the fix prompt
with the instance's gold patch, in the app's edit format (a fenced unified diff).

The instance is recognised by its problem statement's first line (the issue title the
prompt carries). A full pipeline run against this server must resolve what
`iquest eval --predictions gold` resolves; when it does not, the pipeline (localization,
edit application, limits) lost a fix the model got right.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tests.fakes.model_server import ChatReply, Reply, ScriptedModelServer

ANSWER = """Root cause: the oracle knows the real fix for this issue.

Explanation: this is the patch that fixed the issue upstream.

```diff
{patch}```
"""


def _title(problem_statement: str) -> str:
    return problem_statement.strip().partition("\n")[0].strip()


def oracle_responder(instances: Iterable[dict]):  # type: ignore[no-untyped-def]
    """A responder for ScriptedModelServer: the gold patch of the instance the prompt is about."""
    by_title = {_title(i.get("problem_statement", "")): i["patch"] for i in instances if i.get("patch")}
    # The longest title first, so a title that contains another still picks its own instance.
    titles = sorted((t for t in by_title if t), key=len, reverse=True)

    def respond(payload: dict) -> Reply | None:
        prompt = "\n".join(str(m.get("content", "")) for m in payload.get("messages", []))
        for title in titles:
            if title in prompt:
                patch = by_title[title]
                return ChatReply(ANSWER.format(patch=patch if patch.endswith("\n") else patch + "\n"))
        return None  # unknown prompt: the server records it as unexpected

    return respond


def oracle_server(instances: Iterable[dict]) -> ScriptedModelServer:
    return ScriptedModelServer(responder=oracle_responder(list(instances)))


def load_instances(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
