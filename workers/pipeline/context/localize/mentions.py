"""Files an issue names outright: paths, file names, module paths, blob URLs and traceback frames."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from enum import Enum


class MentionKind(Enum):
    """How the issue named a file; the kinds differ in how much they say about the fix."""

    TRACEBACK = "traceback"
    URL = "url"
    PATH = "path"
    FILENAME = "filename"
    MODULE = "module"


@dataclass(frozen=True)
class Mention:
    """One file the issue points at, with the line it points at when it says."""

    path: str
    kind: MentionKind
    weight: float
    line: int | None = None
    symbol: str | None = None


_URL = re.compile(
    r"https?://(?:www\.)?github\.com/[\w.-]+/[\w.-]+/(?:blob|tree|raw)/[^\s/]+/"
    r"([^\s#?)\]>\"'`]+)(?:#L(\d+)(?:-L\d+)?)?"
    r"|https?://raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/[^\s/]+/([^\s#?)\]>\"'`]+)"
)
_ANY_URL = re.compile(r"\w+://\S+")
_PY_FRAME = re.compile(r'File "([^"\n]+)", line (\d+)(?:, in ([\w<>.]+))?')
# IPython/Jupyter frames: "/path/to/mod.py in func(args)" with the line on a later "---> 254".
_IPY_FRAME = re.compile(r"^(\S+\.py) in ([\w<>.]+)\(", re.M)
_IPY_ARROW = re.compile(r"^-+> ?(\d+)", re.M)
# "path/to/file.py:123: in func" (pytest), "at f (src/x.js:10:5)" (node), "x.go:12" (go).
_LINE_REF = re.compile(
    r"((?:[\w.\-~]+[/\\])*[\w.\-]+\.[A-Za-z]{1,5}):(\d+)(?::\d+)?(?:: in (\w+))?"
)
_JAVA_FRAME = re.compile(r"at ((?:[\w$]+\.)+)[\w$<>]+\((\w+\.(?:java|kt|scala)):(\d+)\)")
_PATH = re.compile(r"(?<![\w/.\-])((?:[\w.\-]+/)+[\w.\-]+\.[A-Za-z][\w]{0,7})\b")
_FILENAME = re.compile(r"(?<![\w/.\-])([\w\-]+(?:\.[\w\-]+)*\.[A-Za-z][\w]{0,7})\b")
_DOTTED = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)")
_IMPORT_LINE = re.compile(r"^\s*(?:from\s+\S+\s+)?import\s", re.M)
# Frames from the interpreter's own library say nothing about the project.
_STDLIB = re.compile(r"(?:^|/)(?:lib|Lib)/python\d[\d.]*/(?!site-packages/|dist-packages/)")
_INSTALLED = re.compile(r"^.*?/(?:site|dist)-packages/")
SOURCE_ROOTS = ("src", "lib", "python")
# Names that are file names in prose but rarely the file meant ("setup.py install").
_GENERIC_NAMES = frozenset({"__init__.py", "__main__.py", "index.js", "mod.rs", "main.go"})

TRACEBACK_LAST_WEIGHT = 1.0
TRACEBACK_DECAY = 0.7
URL_WEIGHT = 1.0
PATH_WEIGHT = 0.9
FILENAME_WEIGHT = 0.6
MODULE_WEIGHT = 0.5
IMPORT_DISCOUNT = 0.6
PACKAGE_INIT_DISCOUNT = 0.5


class PathIndex:
    """Repository paths indexed by file name and by dotted module name, for suffix lookups."""

    def __init__(self, paths: list[str]):
        self.paths = set(paths)
        self.by_name: dict[str, list[str]] = defaultdict(list)
        self.modules: dict[str, str] = {}
        for path in paths:
            self.by_name[path.rsplit("/", 1)[-1]].append(path)
            if path.endswith((".py", ".pyi", ".pyx")):
                for module in _module_names(path):
                    self.modules.setdefault(module, path)

    def resolve_path(self, raw: str) -> list[str]:
        """Map a path as written (absolute, relative, another checkout) to repo paths."""
        text = raw.replace("\\", "/").strip("'\"`")
        if _STDLIB.search(text):
            return []
        text = _INSTALLED.sub("", text)
        while text.startswith("./"):
            text = text[2:]
        if text in self.paths:
            return [text]
        parts = [p for p in text.split("/") if p and p != "."]
        if not parts:
            return []
        best, best_len = [], 0
        for candidate in self.by_name.get(parts[-1], ()):
            matched = _common_suffix(parts, candidate.split("/"))
            if matched > best_len:
                best, best_len = [candidate], matched
            elif matched == best_len:
                best.append(candidate)
        # A lone generic name ("__init__.py") or a one-part match of a deep path is noise.
        if best_len == 1 and (len(parts) > 1 or parts[-1] in _GENERIC_NAMES):
            return []
        return sorted(best)

    def resolve_module(self, dotted: str) -> tuple[str | None, bool]:
        """Map a.b.c (maybe ending in attributes) to the module's file; say if it was exact."""
        parts = dotted.split(".")
        for end in range(len(parts), 1, -1):
            path = self.modules.get(".".join(parts[:end]))
            if path:
                return path, end == len(parts)
        return None, False


def _module_names(path: str) -> list[str]:
    stem = path.rsplit(".", 1)[0]
    parts = stem.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    names = [".".join(parts)] if len(parts) > 1 else []
    if len(parts) > 2 and parts[0] in SOURCE_ROOTS:
        names.append(".".join(parts[1:]))
    return names


def _common_suffix(left: list[str], right: list[str]) -> int:
    count = 0
    for a, b in zip(reversed(left), reversed(right), strict=False):
        if a != b:
            break
        count += 1
    return count


def find_tracebacks(text: str, index: PathIndex) -> list[Mention]:
    """Map traceback frames to repo files; the last frames in project code weigh most."""
    frames: list[tuple[int, str, int, str | None]] = []
    spans: list[tuple[int, int]] = []
    for match in _PY_FRAME.finditer(text):
        frames.append((match.start(), match.group(1), int(match.group(2)), match.group(3)))
        spans.append(match.span())
    for match in _IPY_FRAME.finditer(text):
        arrow = _IPY_ARROW.search(text, match.end(), match.end() + 2000)
        line = int(arrow.group(1)) if arrow else 0
        frames.append((match.start(), match.group(1), line, match.group(2)))
        spans.append(match.span())
    for match in _JAVA_FRAME.finditer(text):
        package = match.group(1).split(".")[:-2]
        raw = "/".join([*package, match.group(2)])
        frames.append((match.start(), raw, int(match.group(3)), None))
        spans.append(match.span())
    for match in _LINE_REF.finditer(text):
        if any(start <= match.start() < end for start, end in spans):
            continue
        frames.append((match.start(), match.group(1), int(match.group(2)), match.group(3)))
    frames.sort()
    resolved = []
    for _, raw, line, func in frames:
        paths = index.resolve_path(raw)
        if len(paths) == 1:
            resolved.append((paths[0], line or None, func))
    mentions = []
    for distance, (path, line, func) in enumerate(reversed(resolved)):
        weight = TRACEBACK_LAST_WEIGHT * TRACEBACK_DECAY**distance
        mentions.append(Mention(path, MentionKind.TRACEBACK, weight, line, func))
    return mentions


def find_urls(text: str, index: PathIndex) -> list[Mention]:
    """Map GitHub blob/tree/raw URLs (with #L anchors) to repo files."""
    mentions = []
    for match in _URL.finditer(text):
        raw = match.group(1) or match.group(3)
        line = int(match.group(2)) if match.group(2) else None
        # A branch name may contain slashes, so the path is matched by its longest suffix.
        for path in index.resolve_path(raw):
            mentions.append(Mention(path, MentionKind.URL, URL_WEIGHT, line))
    return mentions


def find_named_paths(text: str, index: PathIndex) -> list[Mention]:
    """Map paths, bare file names and dotted module paths written in the issue to files."""
    text = _ANY_URL.sub(" ", text)
    import_spans = [m.start() for m in _IMPORT_LINE.finditer(text)]
    mentions = []
    for match in _PATH.finditer(text):
        for path in index.resolve_path(match.group(1)):
            mentions.append(Mention(path, MentionKind.PATH, PATH_WEIGHT))
    for match in _FILENAME.finditer(text):
        name = match.group(1)
        candidates = index.by_name.get(name, [])
        if candidates and name not in _GENERIC_NAMES:
            weight = FILENAME_WEIGHT / len(candidates)
            mentions.extend(Mention(p, MentionKind.FILENAME, weight) for p in candidates)
    for match in _DOTTED.finditer(text):
        path, exact = index.resolve_module(match.group(1))
        if path is None:
            continue
        weight = MODULE_WEIGHT * (1.0 if exact else 0.85)
        if path.endswith("__init__.py"):
            weight *= PACKAGE_INIT_DISCOUNT
        line_start = text.rfind("\n", 0, match.start()) + 1
        if line_start in import_spans:
            weight *= IMPORT_DISCOUNT
        mentions.append(Mention(path, MentionKind.MODULE, weight))
    return mentions


def find_mentions(text: str, index: PathIndex) -> list[Mention]:
    """Every file the issue names, in order of appearance within each kind."""
    return [*find_tracebacks(text, index), *find_urls(text, index), *find_named_paths(text, index)]


def score_mentions(mentions: list[Mention]) -> dict[str, float]:
    """Fold mentions into one score per file: the strongest, plus a little for repeats."""
    best: dict[str, float] = {}
    extra: dict[str, float] = defaultdict(float)
    for mention in mentions:
        previous = best.get(mention.path, 0.0)
        best[mention.path] = max(previous, mention.weight)
        extra[mention.path] += min(previous, mention.weight) * 0.1
    return {path: min(1.5, best[path] + extra[path]) for path in best}
