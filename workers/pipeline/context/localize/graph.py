"""The project's import graph (Python), and the share of a strong file's score its imports get.

A fix often lands one call away from where the issue points: the traceback's frame calls a
helper in another module, the option the issue names is parsed in one file and applied in a
module that file imports. Those modules match the issue's words only weakly, so lexical
ranking alone leaves them far down. The import lines of the files already read give the
call graph's module-level shape for free: a module imported by one of the strongest files
AND matching the issue on its own gets a share of that file's score.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from workers.pipeline.context.localize.mentions import SOURCE_ROOTS, PathIndex

# `from pkg.mod import a, b` (parenthesised lists may span lines) and `import a.b as c, d`.
# Indented imports count too: a function-level import is a dependency taken lazily.
_FROM_IMPORT = re.compile(
    r"^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)", re.M
)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w. \t,]+)", re.M)
_ALIAS = re.compile(r"\s+as\s+\w+")


def scan_imports(text: str) -> list[str]:
    """Dotted names a Python file imports, relative ones with their leading dots.

    `from a import b` yields both `a.b` (b may be a submodule) and `a`; resolving against
    the tree keeps whichever exists.
    """
    found: list[str] = []
    for module, names in _FROM_IMPORT.findall(text):
        found.append(module)
        for name in _ALIAS.sub("", names.strip("()")).replace("\\", " ").split(","):
            name = name.strip()
            if name.isidentifier():
                found.append(f"{module}.{name}" if not module.endswith(".") else module + name)
    for names in _IMPORT.findall(text):
        for name in _ALIAS.sub("", names).split(","):
            name = name.strip()
            if name:
                found.append(name)
    return found


def module_map(paths: Iterable[str]) -> dict[str, str]:
    """Dotted module name -> Python file, top-level modules (`six.py`, `src/six.py`) included.

    The issue's prose resolves only dotted names (a bare word is rarely a module there);
    an import line is code, so a one-part name is as good as any.
    """
    python = [p for p in paths if p.endswith(".py")]
    modules = dict(PathIndex(python).modules)
    for path in python:
        parts = path[: -len(".py")].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if len(parts) == 1 or (len(parts) == 2 and parts[0] in SOURCE_ROOTS):
            modules.setdefault(parts[-1], path)
    return modules


def _package_of(path: str) -> list[str]:
    """The dotted package a file belongs to, as path parts (its folder)."""
    return path.split("/")[:-1]


def resolve_imports(path: str, imported: Iterable[str], modules: Mapping[str, str]) -> set[str]:
    """The repository files behind a file's imports (relative ones resolved from its folder)."""
    resolved: set[str] = set()
    for name in imported:
        dots = len(name) - len(name.lstrip("."))
        if dots:
            package = _package_of(path)
            if dots - 1 > len(package):
                continue
            base = package[: len(package) - (dots - 1)]
            rest = name[dots:]
            name = ".".join([*base, *([rest] if rest else [])])
        target = modules.get(name)
        if target and target != path:
            resolved.add(target)
    return resolved


def import_shares(
    scores: Mapping[str, float],
    imports_of: Callable[[str], Iterable[str]],
    relevance: Mapping[str, float],
    seeds: int,
) -> dict[str, float]:
    """Per file, the largest share it earns from a top-`seeds` file that imports it.

    The share is the importer's score (relative to the best file's) times the file's own
    relevance to the issue (0..1): being imported alone earns nothing, so a utility module
    every file imports is not lifted unless the issue's words are in it too. Only the
    seeds' imports are asked for, so the graph costs a few file reads, not a tree scan.
    """
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:seeds]
    if not ranked or ranked[0][1] <= 0:
        return {}
    top = ranked[0][1]
    shares: dict[str, float] = {}
    for seed, score in ranked:
        for target in imports_of(seed):
            own = relevance.get(target, 0.0)
            if own > 0:
                shares[target] = max(shares.get(target, 0.0), score / top * own)
    return shares
