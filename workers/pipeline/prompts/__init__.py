"""Prompts: the conversations sent to the model, rendered from the template files in `templates/`.

In: the packed code, the issue or PR or review or failed check (untrusted text, sanitized and
fenced as data by `sanitize`), the repository's instructions.
Out: a list of chat messages, the long stable part first so a retry reuses the prefix cache.
"""

from workers.pipeline.prompts.ci import CheckFailure, render_ci_prompt
from workers.pipeline.prompts.fix import (
    IssueText,
    render_fix_prompt,
    render_pull_prompt,
    render_repair_prompt,
)
from workers.pipeline.prompts.review import ThreadNote, render_followup_prompt, render_thread_prompt
from workers.pipeline.prompts.sanitize import sanitize_untrusted

__all__ = [
    "CheckFailure",
    "IssueText",
    "ThreadNote",
    "render_ci_prompt",
    "render_fix_prompt",
    "render_followup_prompt",
    "render_pull_prompt",
    "render_repair_prompt",
    "render_thread_prompt",
    "sanitize_untrusted",
]
