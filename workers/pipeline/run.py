"""Compute a fix for an issue: localize → pack → prompt → model → apply → validate (one repair round).

Publishing is separate (`publish/`), so `iquest fix --dry-run`, the Celery task and the tests
run exactly this.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from workers.model.port import ChatModel, Tokenizer
from workers.model.reply import ChatMessage, ModelError, ModelReply
from workers.pipeline.context.gather import gather_code
from workers.pipeline.context.narrow import Narrower
from workers.pipeline.edits.apply import ApplyPlan, plan_edits
from workers.pipeline.edits.diffs import render_diff, verify_diff
from workers.pipeline.edits.parse import parse_response
from workers.pipeline.edits.types import EditRefused, ParsedResponse
from workers.pipeline.edits.validate import validate_changes
from workers.pipeline.instructions import Guidance, GuidanceSettings, read_guidance
from workers.pipeline.prompts.fix import (
    IssueText,
    render_fix_prompt,
    render_repair_prompt,
    render_verify_repair_prompt,
)
from workers.pipeline.prompts.guidance import render_guidance
from workers.pipeline.prompts.sanitize import sanitize_untrusted
from workers.pipeline.proposal import FixOutcome, FixProposal, FixStatus
from workers.pipeline.receipt import CandidateNote, ModelUse, Receipt
from workers.pipeline.timing import Stage, StageTimer, untimed
from workers.pipeline.verification import Verification

log = logging.getLogger("iquest.pipeline")

# Paths the app never edits, whatever the repository says.
ALWAYS_PROTECTED = (".github/workflows/",)
REPLY_TOKENS = 8192
REPAIR_PROMPT_TOKENS = 1024
MIN_CODE_TOKENS = 1024
GUIDANCE_FRAME_TOKENS = 120  # the section's own heading and warning


@dataclass(frozen=True)
class FixLimits:
    max_files: int = 5
    max_changed_lines: int = 300
    deny_paths: tuple[str, ...] = ()
    instructions: str = ""
    # Answers sampled for the first round; the best (verified) one wins. 1: as before.
    candidates: int = 1
    # The repository's AGENTS.md and kin (issue 24); None: none are read.
    guidance: GuidanceSettings | None = None


Progress = Callable[[str], None]
# (repository, packed code, issue, instructions) → the conversation; the PR flow passes its own.
PromptRenderer = Callable[[str, str, IssueText, str], list[ChatMessage]]
# (tree, every path in it, the fix's changes) → what running the tests showed.
Verify = Callable[[Path, Sequence[str], Mapping[str, str | None]], Verification]


def _attempt(root: Path, text: str, protected: Sequence[str]) -> tuple[ParsedResponse, ApplyPlan | None, str]:
    """(parsed, plan, problems): a plan when every edit applied and the result parses."""
    parsed = parse_response(text)
    try:
        plan = plan_edits(root, parsed, protected)
    except EditRefused as error:
        return parsed, None, error.message
    report = validate_changes(plan.changes)
    if not report.ok:
        return parsed, None, report.render_for_model()
    return parsed, plan, ""


def _check_limits(plan: ApplyPlan, diff_lines: int, limits: FixLimits) -> str:
    files = len(plan.changes)
    if files > limits.max_files:
        return f"the fix changes {files} files; this repository allows at most {limits.max_files}"
    if diff_lines > limits.max_changed_lines:
        return (
            f"the fix changes {diff_lines} lines; this repository allows at most "
            f"{limits.max_changed_lines}"
        )
    return ""


def _proposal(root: Path, parsed: ParsedResponse, plan: ApplyPlan) -> FixProposal:
    diff = render_diff(plan.changes)
    verify_diff(diff, plan.changes)
    changes = {
        c.path: None if c.new is None else c.new.decode("utf-8") for c in plan.changes
    }
    executable = frozenset(
        c.path
        for c in plan.changes
        if c.new is not None and (root / c.path).exists() and os.access(root / c.path, os.X_OK)
    )
    return FixProposal(
        root_cause=parsed.root_cause,
        explanation=parsed.explanation,
        tests=parsed.tests,
        changes=changes,
        diff=diff,
        executable=executable,
    )


def propose_fix(
    root: Path,
    repository: str,
    issue: IssueText,
    model: ChatModel,
    tokenizer: Tokenizer,
    context_tokens: int,
    limits: FixLimits = FixLimits(),
    progress: Progress = lambda message: None,
    ranked_first: Sequence[str] = (),
    render_prompt: PromptRenderer = render_fix_prompt,
    timer: StageTimer = untimed,
    verify: Verify | None = None,
    narrow_tokens: int = 0,
) -> FixOutcome:
    """`ranked_first`: paths put ahead of localization's picks (a PR's changed files).

    `narrow_tokens` > 0 turns on model-assisted narrowing with that budget (two short model
    requests before packing; docs/context.md).

    `verify` runs the repository's tests on a fix that applied (None: nothing is run, as
    before verification existed); regressions and a new test that reproduces nothing go
    back to the model in the repair round, and the better of the two rounds' fixes wins.
    """
    protected = (*ALWAYS_PROTECTED, *limits.deny_paths)
    progress("finding the code the issue is about")
    reply_tokens = min(REPLY_TOKENS, context_tokens // 4)
    # The code gets what the rest leaves: the prompt's own text (a long issue counts), the
    # answer, and for the repair round the first answer kept in the conversation too.
    frame = render_prompt(repository, "", issue, limits.instructions)
    # One request for the whole frame; a token per message covers what joining them merged.
    frame_tokens = tokenizer.count_tokens("\n".join(m.content for m in frame)) + len(frame)
    guidance_cap = _guidance_cap(limits.guidance, context_tokens)
    budget = context_tokens - frame_tokens - 2 * reply_tokens - REPAIR_PROMPT_TOKENS - guidance_cap
    narrower = (
        Narrower(model, sanitize_untrusted(issue.as_query()), narrow_tokens)
        if narrow_tokens > 0
        else None
    )
    gathered = gather_code(
        root, issue.as_query(), max(budget, 0), tokenizer, ranked_first, timer=timer,
        narrower=narrower,
    )
    if not gathered.ranked:
        return FixOutcome(FixStatus.REFUSED, reason="I found no source files to work on.")
    if budget < MIN_CODE_TOKENS:
        return FixOutcome(
            FixStatus.REFUSED,
            reason="the issue's text leaves too little room for code in the model's context.",
        )
    code = gathered.code
    log.info("packed %d files (%d tokens) for %s#%d", len(code.files), code.tokens, repository, issue.number)
    guidance = Guidance()
    if limits.guidance is not None and guidance_cap:
        shown = [*ranked_first, *(f.path for f in code.files)]
        guidance = read_guidance(
            root, shown, limits.guidance, tokenizer, guidance_cap - GUIDANCE_FRAME_TOKENS
        )
    # After the code, before the issue: stable for the job, so retries reuse the prefix.
    section = render_guidance([(f.path, f.text) for f in guidance.files])
    code_text = f"{code.text}\n\n{section}" if section else code.text
    messages: list[ChatMessage] = render_prompt(repository, code_text, issue, limits.instructions)
    problems = ""
    verified: list[tuple[int, FixOutcome]] = []
    notes: list[CandidateNote] = []
    use = ModelUse()
    for round_number in (1, 2):
        progress("asking the model" if round_number == 1 else "asking the model to correct its edits")
        try:
            # Several samples only for the first answer; the repair round corrects the best.
            started = time.perf_counter()
            with timer(Stage.MODEL):
                replies = sample_replies(
                    model, messages, reply_tokens, limits.candidates if round_number == 1 else 1
                )
            use = ModelUse(
                use.calls + len(replies),
                use.prompt_tokens + sum(r.prompt_tokens for r in replies),
                use.completion_tokens + sum(r.completion_tokens for r in replies),
                use.seconds + time.perf_counter() - started,
            )
        except ModelError as error:
            if error.transient:
                raise  # the job retries later; the model server may be restarting
            if verified:
                break  # the first round's fix stands
            return FixOutcome(FixStatus.FAILED, reason=str(error))
        progress("applying and checking the edits")
        usable: list[tuple[ModelReply, FixOutcome, int]] = []
        unusable: list[tuple[ModelReply, str]] = []
        over = ""
        for index, reply in enumerate(replies):
            number = len(notes) + 1
            with timer(Stage.APPLY):
                parsed, plan, problems = _attempt(root, reply.text, protected)
            if plan is None:
                if not parsed.edits and round_number == 1 and reply.truncated:
                    problems = "your answer was cut off before any edit; answer with the edits first"
                unusable.append((reply, problems))
                notes.append(CandidateNote(number, round_number, "edits could not be applied exactly"))
                continue
            proposal = replace(_proposal(root, parsed, plan), guidance_files=guidance.paths)
            too_big = _check_limits(plan, proposal.changed_lines, limits)
            if too_big:
                over = over or too_big
                notes.append(CandidateNote(number, round_number, too_big))
                continue
            if verify is not None:
                progress(f"running the tests before and after fix {index + 1} of {len(replies)}")
                proposal = replace(
                    proposal, verification=verify(root, gathered.all_paths, proposal.changes)
                )
            notes.append(CandidateNote(number, round_number, describe_candidate(proposal)))
            usable.append((reply, FixOutcome(FixStatus.PROPOSED, proposal=proposal, notes=list(plan.notes)), number))
        if usable:
            verified.extend((number, outcome) for _, outcome, number in usable)
            reply, best, _ = min(usable, key=lambda item: rank_candidate(item[1].proposal))
            verification = best.proposal.verification if best.proposal else None
            if verification is None or verification.clean or not verification.ran or round_number == 2:
                break
            problems = _fit(verification, tokenizer)
            log.info("round %d tests unhappy for %s#%d", round_number, repository, issue.number)
            messages = [
                *messages,
                ChatMessage("assistant", reply.text),
                render_verify_repair_prompt(problems),
            ]
            continue
        if over:
            if verified:
                break  # the first round's fix stands
            return FixOutcome(FixStatus.REFUSED, reason=over + ".")
        reply, problems = unusable[0]
        log.info("round %d edits unusable for %s#%d: %s", round_number, repository, issue.number, problems)
        # The failed answer stays in the conversation so the model sees what it wrote.
        messages = [*messages, ChatMessage("assistant", reply.text), render_repair_prompt(problems)]
    if verified:
        number, best = min(verified, key=lambda item: rank_candidate(item[1].proposal))
        if best.proposal is None:
            return best
        receipt = Receipt(
            verification=best.proposal.verification,
            candidates=tuple(notes),
            winner=number,
            why_winner=why_winner(best.proposal, len(verified)),
            model=use,
            files_shown=tuple(f.path for f in code.files),
        )
        return replace(best, proposal=replace(best.proposal, receipt=receipt))
    return FixOutcome(
        FixStatus.REFUSED,
        reason=f"the model's edits could not be applied exactly, even after one correction: {problems}",
    )


def _guidance_cap(settings: GuidanceSettings | None, context_tokens: int) -> int:
    """Tokens kept for the guidance section: its setting, at most an eighth of the context."""
    if settings is None or not settings.enabled:
        return 0
    cap = min(settings.max_tokens, context_tokens // 8)
    return cap if cap > GUIDANCE_FRAME_TOKENS + 100 else 0


def sample_replies(
    model: ChatModel, messages: list[ChatMessage], max_tokens: int, n: int
) -> list[ModelReply]:
    """n answers: one request with `n` when the model adapter can, topped up one by one."""
    replies: list[ModelReply] = []
    if n > 1 and hasattr(model, "complete_many"):
        replies = list(model.complete_many(messages, max_tokens, n))[:n]
    while len(replies) < n:
        replies.append(model.complete(messages, max_tokens=max_tokens))
    return replies


def describe_candidate(proposal: FixProposal) -> str:
    """One line on a usable answer, for the receipt: what its tests showed, its size."""
    size = f"{proposal.changed_lines} changed lines"
    v = proposal.verification
    if v is None:
        return f"applied and parses; {size}"
    if not v.ran:
        return f"applied and parses; tests not run; {size}"
    parts = [f"before {v.before}, after {v.after}"]
    if v.regressions:
        parts.append(f"{len(v.regressions)} regression(s)")
    if v.reproducing:
        parts.append(f"{len(v.reproducing)} reproducing test(s)")
    if v.failing_new:
        parts.append(f"{len(v.failing_new)} new test(s) failing")
    return "; ".join([*parts, size])


def why_winner(proposal: FixProposal, usable: int) -> str:
    """Why this answer was published, by the order `rank_candidate` sorts on."""
    if usable == 1:
        return "the only answer whose edits applied within the limits"
    v = proposal.verification
    reasons = []
    if v is not None and v.ran:
        reasons.append("no regressions" if not v.regressions else "the fewest problems")
        if v.reproducing:
            reasons.append("a reproducing test")
        if v.after is not None and v.after.failed == 0:
            reasons.append("nothing failing after the fix")
    reasons.append(f"then the smallest diff ({proposal.changed_lines} lines)")
    return f"best of {usable} usable answers: " + ", ".join(reasons)


def rank_candidate(proposal: FixProposal | None) -> tuple[int, int, int, int]:
    """Sort key, best first: no regressions, a reproducing test, tests pass, smallest diff."""
    changed = proposal.changed_lines if proposal else 0
    verification = proposal.verification if proposal else None
    if verification is None or not verification.ran:
        return (1, 1, 1, changed)
    passes = verification.after is not None and verification.after.failed == 0
    return (
        int(bool(verification.regressions)),
        int(not verification.reproducing),
        int(not passes),
        changed,
    )


def _fit(verification: Verification, tokenizer: Tokenizer) -> str:
    """The problems for the repair round, the test output cut until it fits its budget."""
    chars = REPAIR_PROMPT_TOKENS * 3
    while True:
        problems = verification.problems(chars)
        if chars == 0 or tokenizer.count_tokens(problems) <= REPAIR_PROMPT_TOKENS - 200:
            return problems
        chars = chars // 2 if chars > 64 else 0
