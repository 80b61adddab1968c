"""The repository's guidance files (AGENTS.md and kin) as a fenced prompt section of quoted data."""

from __future__ import annotations

from collections.abc import Sequence

from workers.pipeline.prompts.fix import prompt_template
from workers.pipeline.prompts.sanitize import sanitize_untrusted


def render_guidance(files: Sequence[tuple[str, str]]) -> str:
    """(path, text) pairs, nearest first, → the section; "" when there are none.

    The text goes through the sanitizer like an issue's (no hidden markup, no closing tag), and
    the path is quoted so a file name cannot break the fence either.
    """
    if not files:
        return ""
    blocks = []
    for path, text in files:
        safe_path = sanitize_untrusted(path, 300).replace('"', "'").replace("\n", " ")
        blocks.append(f'<guidance path="{safe_path}">\n{sanitize_untrusted(text)}\n</guidance>')
    return prompt_template("repository_guidance.md").substitute(files="\n\n".join(blocks)).strip()
