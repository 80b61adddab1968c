"""Find and read the guidance files for the paths a fix shows, nearest first, within a token cap."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from workers.model.port import Tokenizer
from workers.pipeline.instructions.globs import glob_matches, split_globs

AGENTS = "AGENTS.md"
INSTRUCTIONS_DIR = ".github/instructions"
# Repository-wide files, read after the path-specific ones (they are the farthest).
REPOSITORY_WIDE = (AGENTS, ".github/copilot-instructions.md", "CLAUDE.md")
MAX_FILE_BYTES = 64 * 1024  # a longer file is cut before counting tokens
TRUNCATED = "\n[… cut to fit the guidance budget]"


@dataclass(frozen=True)
class GuidanceSettings:
    """`instructions:` as this stage takes it (see workers/intake/repo_config.py)."""

    enabled: bool = True
    files: tuple[str, ...] | None = None  # replaces REPOSITORY_WIDE when set
    max_tokens: int = 1500


@dataclass(frozen=True)
class GuidanceFile:
    path: str
    text: str
    why: str  # "nearest to services/billing/app.py", "applyTo **/*.py", "repository-wide"
    truncated: bool = False


@dataclass(frozen=True)
class Guidance:
    files: tuple[GuidanceFile, ...] = ()

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files)


def read_guidance(
    root: Path,
    paths: Sequence[str],
    settings: GuidanceSettings,
    tokenizer: Tokenizer,
    max_tokens: int | None = None,
) -> Guidance:
    """The guidance for `paths` (shown or edited, most relevant first), cut to the token cap."""
    if not settings.enabled:
        return Guidance()
    cap = min(settings.max_tokens, max_tokens if max_tokens is not None else settings.max_tokens)
    found: list[tuple[str, str]] = []  # (path, why), nearest first, no repeats
    seen: set[str] = set()

    def add(path: str, why: str) -> None:
        if path not in seen and _read(root, path) is not None:
            seen.add(path)
            found.append((path, why))

    for path, agents in sorted(
        ((p, a) for p in paths if (a := nearest_agents(root, p))),
        key=lambda pair: -pair[1].count("/"),  # deeper folders first; stable for ties
    ):
        add(agents, f"nearest to {path}")
    for instructions, globs in _scoped_instructions(root):
        hit = next((p for p in paths if any(glob_matches(g, p) for g in globs)), None)
        if hit is not None:
            add(instructions, f"applyTo matches {hit}")
    for path in settings.files if settings.files is not None else REPOSITORY_WIDE:
        add(path.lstrip("/"), "repository-wide")
    return _cap(root, found, tokenizer, cap)


def nearest_agents(root: Path, path: str) -> str | None:
    """The `AGENTS.md` in the deepest folder above `path` below the root (the root's is separate)."""
    folder = posixpath.dirname(path)
    while folder:
        candidate = f"{folder}/{AGENTS}"
        if _is_file(root, candidate):
            return candidate
        folder = posixpath.dirname(folder)
    return None


def _scoped_instructions(root: Path) -> list[tuple[str, list[str]]]:
    folder = root / INSTRUCTIONS_DIR
    if not folder.is_dir() or folder.is_symlink():
        return []
    out = []
    for entry in sorted(folder.glob("*.instructions.md")):
        rel = f"{INSTRUCTIONS_DIR}/{entry.name}"
        text = _read(root, rel)
        if text is None:
            continue
        apply_to = front_matter(text).get("applyTo")
        if isinstance(apply_to, str):
            out.append((rel, split_globs(apply_to)))
        elif isinstance(apply_to, list):
            out.append((rel, [g.strip() for g in apply_to if isinstance(g, str) and g.strip()]))
    return out


def front_matter(text: str) -> dict:
    """The YAML between leading `---` lines, or {} (broken front matter applies to nothing)."""
    body, _, _ = _split_front_matter(text)
    try:
        data = yaml.safe_load(body) if body else None
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _split_front_matter(text: str) -> tuple[str, str, bool]:
    """(front matter, the rest, had front matter)."""
    if not text.startswith("---"):
        return "", text, False
    lines = text.splitlines(keepends=True)
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), True
    return "", text, False


def _cap(
    root: Path, found: list[tuple[str, str]], tokenizer: Tokenizer, cap: int
) -> Guidance:
    files: list[GuidanceFile] = []
    left = cap
    for path, why in found:
        text = _split_front_matter(_read(root, path) or "")[1].strip()
        if not text:
            continue
        tokens = tokenizer.count_tokens(text) + 20  # the fence around it
        if tokens <= left:
            files.append(GuidanceFile(path, text, why))
            left -= tokens
            continue
        if left < 100:
            break  # a stub of a farther file says less than nothing
        # Cut by characters in proportion, then re-measure until it fits.
        keep = int(len(text) * (left - 40) / tokens)
        while keep > 0 and tokenizer.count_tokens(text[:keep]) + 40 > left:
            keep = int(keep * 0.8)
        if keep > 0:
            files.append(GuidanceFile(path, text[:keep] + TRUNCATED, why, truncated=True))
        break
    return Guidance(tuple(files))


def _is_file(root: Path, rel: str) -> bool:
    target = root / rel
    # A symlink could point outside the tree; only plain files inside it are read.
    return target.is_file() and not target.is_symlink()


def _read(root: Path, rel: str) -> str | None:
    if ".." in rel.split("/") or not _is_file(root, rel):
        return None
    try:
        with (root / rel).open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES)
    except OSError:
        return None
    return data.decode("utf-8", errors="replace")
