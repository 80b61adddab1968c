"""Tree-sitter grammars available offline, and the syntax errors they see in a file.

tree-sitter-language-pack 0.x ships its grammars in the wheel (the version pinned in
pyproject.toml). 1.x downloads them on first use, which a worker must not do (and cannot,
offline), so with 1.x only grammars already in its cache are used. Failing that, a
per-language wheel (`tree-sitter-python`, ...) is used when installed; failing both, the
file is reported as unchecked rather than failing the edit.
"""

from __future__ import annotations

import functools
import importlib
from collections import Counter

from workers.pipeline.languages import language_of

# Wheels whose grammar function is not called `language`.
_WHEEL_FUNCTIONS = {
    "typescript": ("typescript", "language_typescript"),
    "tsx": ("typescript", "language_tsx"),
}
_SHOWN = 40


def tree_sitter_language(path: str) -> str | None:
    return language_of(path)


class TreeSitterCheck:
    """Parses with one grammar and lists the error nodes that only the new text has."""

    def __init__(self, parser) -> None:
        self.parser = parser

    def _errors(self, source: bytes) -> list[tuple[str, str, int, int]]:
        """(key, message, row, column) per error node. The key is the node's first line:
        an edit further down can grow an old error node, but not change where it starts."""
        found = []
        cursor = self.parser.parse(source).walk()
        visited_children = False
        while True:
            node = cursor.node
            if not visited_children:
                if node.is_missing:
                    message = f"missing {node.type!r}"
                    found.append((message, message, *node.start_point))
                elif node.type == "ERROR":
                    text = source[node.start_byte : node.end_byte].decode("utf-8", "replace")
                    first = text.strip().split("\n", 1)[0].strip()[:_SHOWN]
                    shown = " ".join(text.split())
                    shown = shown if len(shown) <= _SHOWN else shown[:_SHOWN] + "..."
                    found.append((first, f"syntax error at {shown!r}", *node.start_point))
                if node.has_error and cursor.goto_first_child():
                    continue
            if cursor.goto_next_sibling():
                visited_children = False
            elif cursor.goto_parent():
                visited_children = True
            else:
                return found

    def new_errors(self, old: bytes, new: bytes) -> list[tuple[int, int, str]]:
        """(line, column, message) for errors in `new` beyond those `old` already had."""
        before = Counter(key for key, _, _, _ in self._errors(old))
        out = []
        for key, message, row, column in self._errors(new):
            if before[key]:
                before[key] -= 1
            else:
                out.append((row + 1, column + 1, message))
        return out


def _from_language_pack(language: str):
    try:
        import tree_sitter_language_pack as pack
    except ImportError:
        return None
    try:
        downloaded = getattr(pack, "downloaded_languages", None)
        if downloaded is not None and language not in downloaded():
            return None  # 1.x would try to download it now
        return pack.get_parser(language)
    except Exception:  # the pack's own errors (unknown language, loading) are not ours
        return None


def _from_wheel(language: str):
    module_name, function = _WHEEL_FUNCTIONS.get(language, (language, "language"))
    try:
        import tree_sitter

        module = importlib.import_module(f"tree_sitter_{module_name}")
        return tree_sitter.Parser(tree_sitter.Language(getattr(module, function)()))
    except (ImportError, AttributeError, ValueError, TypeError):
        return None


@functools.cache
def load_tree_sitter(language: str) -> TreeSitterCheck | None:
    parser = _from_language_pack(language) or _from_wheel(language)
    return TreeSitterCheck(parser) if parser is not None else None
