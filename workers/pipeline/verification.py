"""What running the tests showed about a fix (a shared leaf: run computes it, publish shows it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from string import Template


@dataclass(frozen=True)
class Counts:
    passed: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.passed} passed, {self.failed} failed"


@dataclass(frozen=True)
class EnvironmentReceipt:
    """The test environment a verification ran in (workers/environments): which, built or reused."""

    key: str
    reused: bool
    seconds: float  # build seconds (0 when reused)
    python: str = ""

    def __str__(self) -> str:
        how = "reused from the cache" if self.reused else f"built in {self.seconds:.1f} s"
        runtime = self.python if self.python[:1].isalpha() else f"Python {self.python}"
        python = f", {runtime}" if self.python else ""
        return f"`{self.key[:12]}`{python}, {how}"


@dataclass(frozen=True)
class Verification:
    """`ran` False: nothing was run and `reason` says why (the fix is then as unverified as before)."""

    ran: bool
    reason: str = ""
    command: str = ""
    before: Counts | None = None  # the unmodified tree (with the fix's new tests laid over it)
    after: Counts | None = None
    regressions: tuple[str, ...] = ()  # passed before, fail with the fix
    reproducing: tuple[str, ...] = ()  # new tests: fail before, pass with the fix
    not_reproducing: tuple[str, ...] = ()  # new tests that pass without the fix too
    failing_new: tuple[str, ...] = ()  # new tests that fail with the fix
    output: str = field(default="", repr=False)  # the candidate run's output (cut)
    seconds: float = 0.0
    environment: EnvironmentReceipt | None = None  # None: the worker's own pytest, nothing built

    @property
    def unreproduced(self) -> bool:
        """New tests were added and none of them fails without the fix."""
        return bool(self.not_reproducing) and not self.reproducing

    @property
    def clean(self) -> bool:
        """Ran, and nothing the model should be asked to correct. A new test that passes
        without the fix is fine beside one that reproduces the bug (a guard, not a proof)."""
        return self.ran and not (self.regressions or self.failing_new or self.unreproduced)

    def problems(self, max_output_chars: int) -> str:
        """What went wrong, for the model's repair round (the output cut to the budget)."""
        lines = []
        if self.regressions:
            lines.append("These tests passed before your change and fail after it: " + ", ".join(self.regressions))
        if self.failing_new:
            lines.append("Your new tests fail with your fix: " + ", ".join(self.failing_new))
        if self.unreproduced:
            lines.append(
                "Your new tests pass even without your fix, so they do not reproduce the bug: "
                + ", ".join(self.not_reproducing)
            )
        tail = self.output[-max_output_chars:] if max_output_chars > 0 else ""
        if tail:
            lines.append(f"The test run's output (`{self.command}`, last part):\n```\n{tail}\n```")
        return "\n\n".join(lines)

    def summary(self) -> str:
        """One line for a review body or a status."""
        if not self.ran:
            return f"Not run: {self.reason}"
        parts = [f"`{self.command}`: before {self.before}, after {self.after}"]
        if self.regressions:
            parts.append(f"{len(self.regressions)} regression(s)")
        if self.reproducing:
            parts.append(f"reproduced by {', '.join(self.reproducing)}")
        elif self.not_reproducing:
            parts.append("the new test does not reproduce the bug")
        return "Tests run in a sandbox — " + "; ".join(parts) + "."

    def render_markdown(self) -> str:
        """The "Verification" section of a pull request body or a /repair result."""
        template = Template(resources.files("workers.templates").joinpath("verification.md").read_text())
        if not self.ran:
            return template.substitute(summary=f"Nothing was run: {self.reason}", details="")
        details = [f"- Command: `{self.command}`", f"- Before the fix: {self.before}", f"- With the fix: {self.after}"]
        if self.environment is not None:
            details.append(f"- Test environment: {self.environment}")
        details.append(
            "- Regressions: " + (", ".join(f"`{t}`" for t in self.regressions) if self.regressions else "none")
        )
        if self.reproducing:
            details.append("- Reproducing test (fails before, passes after): " + ", ".join(f"`{t}`" for t in self.reproducing))
        if self.not_reproducing:
            details.append("- New test that passes without the fix (does not reproduce the bug): " + ", ".join(f"`{t}`" for t in self.not_reproducing))
        if self.failing_new:
            details.append("- New test failing with the fix: " + ", ".join(f"`{t}`" for t in self.failing_new))
        if not (self.reproducing or self.not_reproducing or self.failing_new):
            details.append("- No new test was added that reproduces the bug.")
        return template.substitute(summary="The tests were run in a sandbox (no network, no secrets).", details="\n".join(details))
