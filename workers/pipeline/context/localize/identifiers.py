"""Identifiers an issue uses (CamelCase, snake_case, dotted, called), weighted by where they appear."""

from __future__ import annotations

import re
from collections import defaultdict

_FENCE = re.compile(r"```.*?(?:```|\Z)", re.S)
_INLINE = re.compile(r"`([^`\n]+)`")
_CODE_LINE = re.compile(r"^(?: {4}|\t|>>> |\.\.\. |In \[\d+\]: |\$ ).*$", re.M)
_FRAME_LINE = re.compile(
    r'^\s*File "([^"\n]*)", line \d+(?:, in ([\w<>]+))?.*$|^(\S+\.py) in (\w+)\(.*$', re.M
)
_ERROR_LINE = re.compile(
    r"^\s*(?:[\w.]+\.)?\w*(?:Error|Exception|Warning|Exit|Interrupt)\b:? .*$", re.M
)
_COMMENT = re.compile(r"(?:(?<=\s)|^)(?:#|//).*$", re.M)
_NAME = re.compile(r"(\.?)(?<![\w$])([A-Za-z_][A-Za-z0-9_]*)(\s*\()?")
_URL = re.compile(r"\w+://\S+")
# Frames of the interpreter's own library name functions the project does not define.
_STDLIB_PATH = re.compile(r"(?:^|/)(?:lib|Lib)/python\d[\d.]*/(?!site-packages/|dist-packages/)")
_WORD_PAIR = re.compile(r"\b([a-z]{3,})[ -](?=([a-z]{3,})\b)")
_SENTENCE_END = re.compile(r"(?:[.!?:]\s+|\n\s*[-*>#\d.)]*\s*)$")
# Names every Python snippet uses; they say nothing about where the bug lives.
COMMON_NAMES = frozenset(
    re.findall(
        r"\S+",
        """
self cls print len str int float bool list dict set tuple type object None True False import
from def class return if else elif for while in is not and or with as try except finally
raise lambda yield pass break continue range open isinstance super repr hash format append
np pd plt os sys re json math numpy pandas args kwargs value values key keys item items
name data result results obj res out foo bar baz main test In Out
""",
    )
)

TITLE_WEIGHT = 2.0
ERROR_WEIGHT = 1.5
FRAME_WEIGHT = 1.0
SHAPED_WEIGHT = 1.0
PLAIN_CODE_WEIGHT = 0.3
CAPITALIZED_WEIGHT = 0.4
JOINED_WEIGHT = 0.5


def is_code_shaped(name: str) -> bool:
    """Tell whether a word can only be an identifier: snake_case, CamelCase, _private."""
    inner = name.strip("_")
    return "_" in inner or any(c.isupper() for c in inner[1:]) or name.startswith("_")


def normalize_name(name: str) -> str:
    """Fold an identifier so that snake_case, CamelCase and joined words compare equal."""
    return name.replace("_", "").lower()


def _split_regions(text: str) -> tuple[list[str], str]:
    """Separate code-like regions (fences, inline code, prompts) from the prose around them."""
    regions = [m.group(0) for m in _FENCE.finditer(text)]
    prose = _FENCE.sub("\n", text)
    regions += [m.group(1) for m in _INLINE.finditer(prose)]
    regions += [m.group(0) for m in _CODE_LINE.finditer(prose)]
    prose = _CODE_LINE.sub("", _INLINE.sub(" ", prose))
    return regions, prose


def _code_names(code: str) -> list[tuple[str, float]]:
    """Names in code: called, accessed or shaped ones count fully, bare lowercase ones little."""
    code = _COMMENT.sub("", _FRAME_LINE.sub("", code))
    found = []
    for dot, name, call in _NAME.findall(code):
        shaped = bool(dot or call) or is_code_shaped(name) or name[0].isupper()
        found.append((name, SHAPED_WEIGHT if shaped else PLAIN_CODE_WEIGHT))
    return found


def _starts_sentence(prose: str, start: int) -> bool:
    before = prose[max(0, start - 8) : start]
    return not prose[:start].strip() or bool(_SENTENCE_END.search(before))


def _prose_names(prose: str) -> list[tuple[str, float]]:
    """Names in prose: only what cannot be an English word, or a capitalized word mid-sentence."""
    found = []
    for match in _NAME.finditer(prose):
        dot, name, call = match.groups()
        attribute = dot and match.start() > 0 and prose[match.start() - 1].isalnum()
        if call or attribute or is_code_shaped(name):
            found.append((name, SHAPED_WEIGHT))
        elif (
            name[0].isupper() and not name.isupper() and not _starts_sentence(prose, match.start())
        ):
            found.append((name, CAPITALIZED_WEIGHT))
    return found


def extract_identifiers(text: str) -> dict[str, float]:
    """Identifiers of an issue, each with the weight of the strongest place it appears."""
    weights: dict[str, float] = defaultdict(float)

    def note(pairs: list[tuple[str, float]], factor: float = 1.0) -> None:
        for name, weight in pairs:
            if len(name) >= 2 and name not in COMMON_NAMES and not name.isdigit():
                weights[name] = max(weights[name], weight * factor)

    title, _, body = _URL.sub(" ", text).strip().partition("\n")
    # Frames are read on their own below: their paths are not names and stdlib frames not ours.
    regions, prose = _split_regions(_FRAME_LINE.sub("", body))
    for region in regions:
        note(_code_names(region))
    note(_prose_names(prose))
    for match in _FRAME_LINE.finditer(body):
        path, function = match.group(1) or match.group(3), match.group(2) or match.group(4)
        if function and not _STDLIB_PATH.search(path.replace("\\", "/")):
            note([(function, FRAME_WEIGHT)])
    for match in _ERROR_LINE.finditer(body):
        note([(n, w) for n, w in _code_names(match.group(0)) if w == SHAPED_WEIGHT], ERROR_WEIGHT)
    title_regions, title_prose = _split_regions(title)
    for region in title_regions:
        note(_code_names(region), TITLE_WEIGHT)
    note(_prose_names(" " + title_prose), TITLE_WEIGHT)
    return dict(weights)


def extract_joined_words(text: str) -> dict[str, float]:
    """Adjacent prose words joined ("pretty print" -> "prettyprint"), for folded name lookups."""
    _, prose = _split_regions(text)
    return {first + second: JOINED_WEIGHT for first, second in _WORD_PAIR.findall(prose.lower())}
