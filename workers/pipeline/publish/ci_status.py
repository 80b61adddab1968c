"""What the status comment says about a CI follow-up, rendered from templates."""

from __future__ import annotations

from importlib import resources
from string import Template

from workers.github.port import CheckRun

_MAX_ROOT_CAUSE = 1500


def _template(name: str) -> Template:
    return Template(resources.files("workers.templates").joinpath(name).read_text())


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def check_link(run: CheckRun) -> str:
    name = "`" + run.name.replace("`", "'") + "`"
    return f"[{name}]({run.html_url})" if run.html_url else name


def render_ci_pushed(
    run: CheckRun, commit_link: str, branch: str, round_: int, limit: int, root_cause: str
) -> str:
    return _template("ci_pushed.md").substitute(
        check=check_link(run),
        commit=commit_link,
        branch=branch,
        round=round_,
        limit=limit,
        root_cause=root_cause.strip()[:_MAX_ROOT_CAUSE] or "_The model did not state one._",
    )


def render_ci_exhausted(run: CheckRun, rounds: int, limit: int) -> str:
    return _template("ci_exhausted.md").substitute(
        check=check_link(run), rounds=_plural(rounds, "follow-up commit"), limit=limit
    )


def render_ci_unusable(run: CheckRun, reason: str) -> str:
    return _template("ci_unusable.md").substitute(check=check_link(run), reason=reason)
