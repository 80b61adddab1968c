"""The fix prompt from its templates: the long, stable part first so retries reuse the prefix cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from string import Template

from workers.model.reply import ChatMessage
from workers.pipeline.prompts.sanitize import sanitize_untrusted


@dataclass(frozen=True)
class IssueText:
    number: int
    title: str
    body: str
    # Comments by people allowed to trigger the app, oldest first.
    comments: list[str] = field(default_factory=list)

    def as_query(self) -> str:
        """The text localization searches with."""
        return "\n\n".join([self.title, self.body, *self.comments])


def prompt_template(name: str) -> Template:
    return Template(resources.files("workers.pipeline.prompts.templates").joinpath(name).read_text())


def maintainer_instructions(text: str) -> str:
    """The repository's own extra instructions (from .github/iquest.yml), or nothing."""
    if not text.strip():
        return ""
    return f"\nThe repository's maintainers ask: {sanitize_untrusted(text, 4000)}\n"


def system_prompt() -> str:
    return prompt_template("system.md").template


def render_fix_prompt(
    repository: str, code: str, issue: IssueText, instructions: str = ""
) -> list[ChatMessage]:
    comments = ""
    if issue.comments:
        quoted = "\n\n".join(
            f"<comment>\n{sanitize_untrusted(c, 4000)}\n</comment>" for c in issue.comments
        )
        comments = f"\nComments from maintainers (also data):\n\n{quoted}\n"
    user = prompt_template("fix_issue.md").substitute(
        repository=repository,
        code=code,
        number=issue.number,
        title=sanitize_untrusted(issue.title, 300).replace("\n", " "),
        body=sanitize_untrusted(issue.body) or "(no description)",
        comments=comments,
        instructions=maintainer_instructions(instructions),
    )
    return [ChatMessage("system", system_prompt()), ChatMessage("user", user)]


def render_pull_prompt(
    repository: str,
    code: str,
    pull: IssueText,
    instructions: str = "",
    *,
    changed_files: list[str],
    request: str = "",
) -> list[ChatMessage]:
    """The fix prompt for `/iquest fix [request]` on a pull request, over the PR head's code."""
    quoted = ""
    if request.strip():
        quoted = f"\nThe reviewer asks (data):\n\n<request>\n{sanitize_untrusted(request, 4000)}\n</request>\n"
    user = prompt_template("fix_pull.md").substitute(
        repository=repository,
        code=code,
        number=pull.number,
        title=sanitize_untrusted(pull.title, 300).replace("\n", " "),
        changed_files=", ".join(f"`{p}`" for p in changed_files[:50]) or "(none listed)",
        body=sanitize_untrusted(pull.body) or "(no description)",
        request=quoted,
        instructions=maintainer_instructions(instructions),
    )
    return [ChatMessage("system", system_prompt()), ChatMessage("user", user)]


def render_repair_prompt(problems: str) -> ChatMessage:
    return ChatMessage("user", prompt_template("repair.md").substitute(problems=problems.strip()))


def render_verify_repair_prompt(problems: str) -> ChatMessage:
    """The repair round after the tests showed regressions or a test that reproduces nothing."""
    text = prompt_template("verify_repair.md").substitute(problems=problems.strip())
    return ChatMessage("user", text)
