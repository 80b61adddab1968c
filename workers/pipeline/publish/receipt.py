"""The receipt, rendered: compact (a table and a collapsed block) for bodies and replies,
whole for the `iquest` check run. Words of success ("verified", "tests pass") come only from
`Receipt.verified` holding; everything else says what was shown and no more."""

from __future__ import annotations

from importlib import resources
from string import Template

from workers.pipeline.proposal import FixProposal
from workers.pipeline.receipt import Receipt

VERIFIED = "Verified: the tests ran in a sandbox, nothing regressed{repro}."
_NONE = "none"


def _template(name: str) -> Template:
    return Template(resources.files("workers.templates").joinpath(name).read_text())


def _code(items: tuple[str, ...] | list[str], empty: str = _NONE) -> str:
    return ", ".join(f"`{i}`" for i in items) if items else empty


def verdict(receipt: Receipt) -> str:
    if receipt.verified:
        v = receipt.verification
        repro = " and a new test reproduces the bug" if v is not None and v.reproducing else ""
        return VERIFIED.format(repro=repro)
    # No form of the word "verified" here: that word is kept for a receipt that holds.
    return f"Not proven ({receipt.unverified_reason()}). Review it as untested."


def _environment(receipt: Receipt) -> str:
    env = receipt.environment
    if env is None:
        v = receipt.verification
        if v is None or not v.ran:
            return "none (nothing was run)"
        return "the worker's own pytest over the checkout (no environment was built)"
    how = "reused from the cache" if env.reused else f"built in {env.seconds:.1f} s"
    python = f", Python {env.python}" if env.python else ""
    return f"`{env.key[:16]}`{python}, {how}"


def _model(receipt: Receipt) -> str:
    m = receipt.model
    return (f"{m.calls} answer(s), {m.prompt_tokens} prompt + {m.completion_tokens} completion "
            f"tokens, {m.seconds:.1f} s")


def _rerun(receipt: Receipt) -> str:
    v = receipt.verification
    if v is None or not v.ran:
        return "nothing was run."
    if not (v.flaky or v.broken):
        return "none failed before the fix."
    return f"flaky (passed the second time): {_code(v.flaky)}; broken (failed again): {_code(v.broken)}."


def _package_lines(receipt: Receipt) -> list[str]:
    """Per-directory settings: each package whose own command ran, from its own folder."""
    v = receipt.verification
    packages = v.packages if v is not None and v.ran else ()
    return [f"Package `{folder}/`: `{command}`, run in that folder" for folder, command in packages]


def render_full(receipt: Receipt) -> str:
    """The whole receipt (the check run's details; the collapsed block of a body)."""
    v = receipt.verification
    ran = v is not None and v.ran
    commands = "\n".join(
        [f"- {line}" for line in _package_lines(receipt)] or [f"- `{c}`" for c in receipt.commands]
    ) or (f"- none: {v.reason}" if v is not None else "- none: no tests were considered")
    return _template("receipt_full.md").substitute(
        verdict=verdict(receipt),
        environment=_environment(receipt),
        commands=commands,
        before=v.before if ran else "not run",
        after=v.after if ran else "not run",
        regressions=_code(v.regressions) if ran else "not known",
        reproducing=_code(v.reproducing) if ran else "not run",
        not_reproducing=(f"New tests that pass without the fix too: {_code(v.not_reproducing)}\n"
                         if ran and v.not_reproducing else ""),
        rerun=_rerun(receipt),
        candidate_count=len(receipt.candidates),
        winner=receipt.winner,
        why_winner=receipt.why_winner or "the only one",
        candidate_lines="\n".join(f"- #{c.index} (round {c.round}): {c.outcome}" for c in receipt.candidates),
        model=_model(receipt),
        files="\n".join(f"- `{p}`" for p in receipt.files_shown) or "- none",
    )


def render_compact(receipt: Receipt) -> str:
    """A table of the essentials and the whole receipt collapsed below it."""
    v = receipt.verification
    ran = v is not None and v.ran
    return _template("receipt_compact.md").substitute(
        verdict=verdict(receipt),
        environment=_environment(receipt),
        command="; ".join(_package_lines(receipt))
        or " && ".join(f"`{c}`" for c in receipt.commands) or "none (nothing was run)",
        counts=f"{v.before} → {v.after}" if ran else "not run",
        reproducing=_code(v.reproducing) if ran else "not run",
        candidates=f"{len(receipt.candidates)} tried, #{receipt.winner} published",
        model=_model(receipt),
        full=render_full(receipt),
    )


def check_title(receipt: Receipt, files: int) -> str:
    changed = f"{files} file{'s' if files != 1 else ''} changed"
    if receipt.verified:
        return f"Verified fix: {changed}"
    return f"Fix not proven ({receipt.unverified_reason()}): {changed}"[:255]


def status_note(receipt: Receipt | None, ran_nothing: str) -> str:
    """The status comment's last sentence about checking; `ran_nothing` when nothing ran."""
    if receipt is None or receipt.verification is None or not receipt.verification.ran:
        return ran_nothing
    return verdict(receipt) + " The receipt is in the pull request and the `iquest` check run."


def render_held(proposal: FixProposal, base_ref: str) -> str:
    """The status comment of a fix `require_verified` kept out of a pull request."""
    receipt = proposal.receipt
    files = len(proposal.changes)
    return _template("held_unverified.md").substitute(
        base_ref=base_ref,
        root_cause=proposal.root_cause.strip() or "_The model did not state one._",
        explanation=proposal.explanation.strip() or "_See the diff._",
        receipt=render_compact(receipt) if receipt is not None else "Nothing was run.",
        files=f"{files} file{'s' if files != 1 else ''}",
        diff=proposal.diff.rstrip("\n").replace("```", "`\u200b``"),
    )
