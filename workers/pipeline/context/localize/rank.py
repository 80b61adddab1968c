"""Ranking files for an issue: gathering each signal over the tree and combining them."""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from workers.pipeline.context.localize.evidence import IssueEvidence, read_issue
from workers.pipeline.context.localize.graph import (
    import_shares,
    module_map,
    resolve_imports,
    scan_imports,
)
from workers.pipeline.context.localize.identifiers import normalize_name
from workers.pipeline.context.localize.lexical import TermIndex
from workers.pipeline.context.localize.mentions import Mention, score_mentions
from workers.pipeline.context.localize.symbols import outline_tree_sitter, scan_definition_names
from workers.pipeline.context.localize.tree import (
    FileKind,
    RepoFile,
    looks_generated,
    read_text,
    walk_tree,
)

SIGNALS = ("mention", "symbol", "content", "title", "path")
FOLDED_MATCH_DISCOUNT = 0.5
# Contents are read in this order while the byte budget lasts. Tests, docs, vendored and
# generated files are ranked by path and mentions only: indexing their contents too cost
# 60% more time on the dev set and lost four points of any@1 (test helpers define names).
INDEXED_KINDS = (FileKind.SOURCE, FileKind.DATA)


@dataclass(frozen=True)
class RankWeights:
    """How much each signal counts, and how much each kind of file is kept for "where to edit"."""

    mention: float = 0.5
    symbol: float = 0.3
    content: float = 0.5
    title: float = 0.5
    path: float = 0.3
    # A file that one of the `graph_seeds` strongest files imports, and that defines what the
    # issue names, is lifted to this share of its importer's score (see graph.py).
    graph: float = 0.8
    graph_seeds: int = 5
    kind_factor: dict[FileKind, float] = field(
        default_factory=lambda: {
            FileKind.SOURCE: 1.0,
            FileKind.DATA: 0.4,
            FileKind.TEST: 0.3,
            FileKind.DOC: 0.2,
            FileKind.VENDORED: 0.2,
            FileKind.GENERATED: 0.2,
        }
    )

    def without(self, *signals: str) -> RankWeights:
        """The same weights with some signals switched off (for ablations)."""
        changes = {name: 0.0 for name in signals}
        return RankWeights(**{**self.__dict__, **changes})


@dataclass(frozen=True)
class ScanLimits:
    """Bounds that keep one run within seconds and well under a GiB on large trees."""

    max_file_bytes: int = 1 << 20
    max_total_bytes: int = 128 << 20
    max_files: int = 200_000
    # tree-sitter reads ~3 MB/s from Python, ast ~7 MB/s: exact parses over a whole large tree
    # would blow the time budget, so only this much non-Python code is parsed exactly.
    max_parse_bytes: int = 4 << 20


@dataclass
class Evidence:
    """Everything gathered about one issue and tree, before weighting."""

    files: dict[str, RepoFile]
    issue: IssueEvidence
    signals: dict[str, dict[str, float]]
    root: str = ""

    def imports_of(self, path: str) -> set[str]:
        """The repository files a Python source file imports (read again: asked for a few)."""
        repo_file = self.files.get(path)
        if repo_file is None or repo_file.language != "python" or not self.root:
            return set()
        text = read_text(self.root, path, ScanLimits.max_file_bytes) or ""
        return resolve_imports(path, scan_imports(text), self.modules)

    @functools.cached_property
    def modules(self) -> dict[str, str]:
        """Dotted module name -> Python file, built only when an import is resolved."""
        return module_map(self.files)

    @property
    def mentions(self) -> tuple[Mention, ...]:
        return self.issue.mentions


@dataclass(frozen=True)
class RankedFile:
    """A file with its combined score and the normalized signals behind it."""

    path: str
    score: float
    kind: FileKind
    signals: dict[str, float]


def _module_stem(path: str) -> str:
    stem = Path(path).stem
    return Path(path).parent.name if stem in ("__init__", "index", "mod") else stem


def define_names(text: str, language: str | None, may_parse: bool) -> tuple[set[str], int]:
    """Names a file defines, and how many bytes were parsed exactly to find them.

    Python's def/class lines are unambiguous, so a regular expression finds the same names
    as `ast` at a thirtieth of the cost; other languages are parsed with tree-sitter while
    the parse budget lasts, since their methods and functions need no keyword.
    """
    if may_parse and language not in (None, "python", "cython"):
        outline = outline_tree_sitter(text, language)
        if outline is not None:
            return {d.name for d in outline}, len(text)
    return scan_definition_names(text, language), 0


def score_symbols(
    definitions: dict[str, set[str]],
    identifiers: dict[str, float],
    joined: dict[str, float],
    searched_files: int,
) -> dict[str, float]:
    """Score files that define what the issue names; names defined in few files count most."""
    folded: dict[str, set[str]] = defaultdict(set)
    for name, paths in definitions.items():
        folded[normalize_name(name)] |= paths
    wanted: dict[str, tuple[float, set[str]]] = {}
    for name, weight in identifiers.items():
        if name in definitions:
            wanted[name] = (weight, definitions[name])
        elif normalize_name(name) in folded:
            wanted[name] = (weight * FOLDED_MATCH_DISCOUNT, folded[normalize_name(name)])
    for name, weight in joined.items():
        if name not in wanted and name in folded:
            wanted[name] = (weight, folded[name])
    scores: dict[str, float] = defaultdict(float)
    for weight, paths in wanted.values():
        idf = math.log(1.0 + searched_files / len(paths))
        for path in paths:
            scores[path] += weight * idf
    return dict(scores)


def gather_evidence(
    root: str | Path, issue_text: str, limits: ScanLimits = ScanLimits()
) -> Evidence:
    """Walk the tree once and compute every signal's raw score per file."""
    listed = walk_tree(root, limits.max_files)
    files = {f.path: f for f in listed}
    issue = read_issue(issue_text, files)
    query = issue.query
    content = TermIndex(set(query))
    paths = TermIndex(set(query))
    definitions: dict[str, set[str]] = defaultdict(set)
    budget = limits.max_total_bytes
    # Source first, so a tree too large for the byte budget loses data files, not code.
    readable = sorted(
        (f for f in listed if f.kind in INDEXED_KINDS),
        key=lambda f: (INDEXED_KINDS.index(f.kind), f.path),
    )
    searched = 0
    parse_budget = limits.max_parse_bytes
    for repo_file in readable:
        if budget <= 0:
            break
        text = read_text(root, repo_file.path, limits.max_file_bytes)
        if text is None:
            continue
        budget -= len(text)
        if looks_generated(text):
            files[repo_file.path] = RepoFile(
                repo_file.path, repo_file.size, FileKind.GENERATED, repo_file.language
            )
            continue
        content.add(repo_file.path, text)
        if repo_file.kind == FileKind.SOURCE:
            searched += 1
            names, parsed = define_names(text, repo_file.language, parse_budget > 0)
            parse_budget -= parsed
            for name in names:
                definitions[name].add(repo_file.path)
            definitions[_module_stem(repo_file.path)].add(repo_file.path)
    for path in files:
        paths.add(path, path.replace("/", " "))
    signals = {
        "mention": score_mentions(list(issue.mentions)),
        "symbol": score_symbols(
            definitions, issue.identifiers, issue.joined_words, max(1, searched)
        ),
        "content": content.score(query),
        "title": content.score(issue.title_query),
        "path": paths.score(query),
    }
    return Evidence(files, issue, signals, str(root))


def _normalized(scores: dict[str, float]) -> dict[str, float]:
    top = max(scores.values(), default=0.0)
    return {path: value / top for path, value in scores.items()} if top > 0 else {}


def _lift_imported(
    scores: dict[str, float],
    evidence: Evidence,
    defines: dict[str, float],
    weights: RankWeights,
) -> dict[str, float]:
    """Lift source files the strongest files import, when they define what the issue names.

    A lifted file never passes its importer (the share is below 1) and only files that
    already have evidence move: the graph reorders, it does not invent candidates.
    Changes `scores` in place and returns the share of each file it lifted.
    """
    if not weights.graph:
        return {}
    relevance = {
        path: value
        for path, value in defines.items()
        if path in scores and evidence.files[path].kind == FileKind.SOURCE
    }
    shares = import_shares(scores, evidence.imports_of, relevance, weights.graph_seeds)
    top = max(scores.values(), default=0.0)
    lifted = {}
    for path, share in shares.items():
        if weights.graph * share * top > scores[path]:
            scores[path] = weights.graph * share * top
            lifted[path] = share
    return lifted


def combine_evidence(evidence: Evidence, weights: RankWeights = RankWeights()) -> list[RankedFile]:
    """Weight and add the signals, demote files unlikely to be edited, sort best first."""
    normalized = {
        "mention": evidence.signals["mention"],
        **{name: _normalized(evidence.signals[name]) for name in SIGNALS if name != "mention"},
    }
    totals: Counter[str] = Counter()
    for name in SIGNALS:
        weight = getattr(weights, name)
        if weight:
            for path, value in normalized[name].items():
                totals[path] += weight * value
    scores = {}
    for path, total in totals.items():
        repo_file = evidence.files.get(path)
        if repo_file is None or total <= 0:
            continue
        scores[path] = total * weights.kind_factor.get(repo_file.kind, 1.0)
    graph = _lift_imported(scores, evidence, normalized["symbol"], weights)
    ranked = [
        RankedFile(
            path,
            score,
            evidence.files[path].kind,
            {
                **{name: normalized[name].get(path, 0.0) for name in SIGNALS},
                "graph": graph.get(path, 0.0),
            },
        )
        for path, score in scores.items()
    ]
    # Ties broken by path so the same input always gives the same order.
    ranked.sort(key=lambda r: (-r.score, r.path))
    return ranked


def rank_files(
    root: str | Path,
    issue_text: str,
    weights: RankWeights = RankWeights(),
    limits: ScanLimits = ScanLimits(),
) -> list[RankedFile]:
    """Every file with some evidence, most likely to need editing first."""
    return combine_evidence(gather_evidence(root, issue_text, limits), weights)
