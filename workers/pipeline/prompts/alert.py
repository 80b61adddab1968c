"""The fix prompt for a code-scanning alert: the tool's report, and the lines it points at."""

from __future__ import annotations

from workers.model.reply import ChatMessage
from workers.pipeline.prompts.fix import (
    IssueText,
    maintainer_instructions,
    prompt_template,
    system_prompt,
)
from workers.pipeline.prompts.sanitize import sanitize_untrusted


def render_alert_prompt(
    repository: str,
    code: str,
    alert: IssueText,
    instructions: str = "",
    *,
    path: str,
    first: int,
    last: int,
    excerpt: str,
) -> list[ChatMessage]:
    """`alert`: the alert as issue text (number, rule as title, the report as body)."""
    user = prompt_template("fix_alert.md").substitute(
        repository=repository,
        code=code,
        number=alert.number,
        title=sanitize_untrusted(alert.title, 300).replace("\n", " "),
        body=sanitize_untrusted(alert.body) or "(no message)",
        path=path,
        first=first,
        last=last,
        excerpt=excerpt.replace("```", "`\u200b``") or "(the lines are not in this commit)",
        instructions=maintainer_instructions(instructions),
    )
    return [ChatMessage("system", system_prompt()), ChatMessage("user", user)]
