"""The symbol index: definitions and imports of a file, by `ast` for Python and tree-sitter otherwise."""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from enum import Enum


class DefinitionKind(Enum):
    """Containers (classes, structs, impls, modules) versus callables."""

    CLASS = "class"
    FUNCTION = "function"


@dataclass(frozen=True)
class Definition:
    """A named definition with its 1-based inclusive line span (decorators included)."""

    name: str
    qualname: str
    kind: DefinitionKind
    start: int
    end: int


_ID = r"[A-Za-z_$][\w$]*"
_PY_SCAN = re.compile(
    r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z_]\w*)|^([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=(?!=)",
    re.M,
)
_GENERIC_SCAN = re.compile(
    r"\b(?:function\*?|func|fn|def|defp|defmodule|class|struct|interface|enum|trait|type|module|impl|"
    r"object|record|protocol|namespace|sub|macro_rules!)\s+(?:\([^)]*\)\s*)?(" + _ID + r")"
    r"|\b(?:const|let|var)\s+("
    + _ID
    + r")\s*=\s*(?:async\s*)?(?:function|class|\(|"
    + _ID
    + r"\s*=>)"
)
_CONTAINER_WORDS = (
    "class",
    "struct",
    "interface",
    "trait",
    "enum",
    "impl",
    "module",
    "namespace",
    "type_spec",
    "type_alias",
    "type_definition",
    "record",
    "object",
)
_JS = [
    "(function_declaration name: (identifier) @name) @def",
    "(generator_function_declaration name: (identifier) @name) @def",
    "(class_declaration name: (_) @name) @def",
    "(method_definition name: (_) @name) @def",
    "(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression) (class)]) @def",
]
_TS = [
    *_JS,
    "(interface_declaration name: (_) @name) @def",
    "(type_alias_declaration name: (_) @name) @def",
    "(enum_declaration name: (_) @name) @def",
    "(abstract_class_declaration name: (_) @name) @def",
    "(function_signature name: (_) @name) @def",
]
_C = [
    "(function_definition declarator: (function_declarator declarator: (_) @name)) @def",
    "(function_definition declarator: (pointer_declarator declarator: (function_declarator declarator: (_) @name))) @def",
    "(struct_specifier name: (_) @name body: (_)) @def",
    "(enum_specifier name: (_) @name body: (_)) @def",
    "(union_specifier name: (_) @name body: (_)) @def",
    "(type_definition declarator: (type_identifier) @name) @def",
]
_QUERIES: dict[str, list[str]] = {
    "python": [
        "(function_definition name: (identifier) @name) @def",
        "(class_definition name: (identifier) @name) @def",
    ],
    "javascript": _JS,
    "typescript": _TS,
    "tsx": _TS,
    "go": [
        "(function_declaration name: (_) @name) @def",
        "(method_declaration name: (_) @name) @def",
        "(type_spec name: (_) @name) @def",
    ],
    "rust": [
        "(function_item name: (_) @name) @def",
        "(struct_item name: (_) @name) @def",
        "(enum_item name: (_) @name) @def",
        "(trait_item name: (_) @name) @def",
        "(impl_item type: (_) @name) @def",
        "(mod_item name: (_) @name) @def",
        "(macro_definition name: (_) @name) @def",
    ],
    "java": [
        f"({kind} name: (_) @name) @def"
        for kind in (
            "class_declaration",
            "interface_declaration",
            "enum_declaration",
            "record_declaration",
            "method_declaration",
            "constructor_declaration",
        )
    ],
    "csharp": [
        f"({kind} name: (_) @name) @def"
        for kind in (
            "class_declaration",
            "interface_declaration",
            "enum_declaration",
            "struct_declaration",
            "record_declaration",
            "method_declaration",
            "constructor_declaration",
        )
    ],
    "c": _C,
    "cpp": [
        *_C,
        "(class_specifier name: (_) @name body: (_)) @def",
        "(namespace_definition name: (_) @name) @def",
    ],
    "ruby": [
        "(method name: (_) @name) @def",
        "(singleton_method name: (_) @name) @def",
        "(class name: (_) @name) @def",
        "(module name: (_) @name) @def",
    ],
    "php": [
        f"({kind} name: (_) @name) @def"
        for kind in (
            "function_definition",
            "method_declaration",
            "class_declaration",
            "interface_declaration",
            "trait_declaration",
        )
    ],
}
_IMPORT_NODES = frozenset(
    {
        "import_statement",
        "import_from_statement",
        "future_import_statement",
        "import_declaration",
        "preproc_include",
        "use_declaration",
        "using_directive",
        "package_clause",
        "package_declaration",
        "namespace_use_declaration",
        "extern_crate_declaration",
    }
)


@functools.cache
def load_query(language: str):
    """Compile the definition query for a language; None when no grammar is installed."""
    patterns = _QUERIES.get(language)
    if not patterns:
        return None
    try:
        from tree_sitter import Query
        from tree_sitter_language_pack import get_language, get_parser

        grammar = get_language(language)  # type: ignore[arg-type]
        parser = get_parser(language)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - a missing or broken grammar means "no tree-sitter here"
        return None
    compiled = []
    # Grammar versions rename node types; a pattern this grammar lacks is dropped, not fatal.
    for pattern in patterns:
        try:
            compiled.append(Query(grammar, pattern))
        except Exception:  # noqa: BLE001
            continue
    return (parser, compiled) if compiled else None


@dataclass(frozen=True)
class FileOutline:
    """A file's definitions (sorted by position) and its top-level import lines, from one parse."""

    definitions: list[Definition]
    imports: list[int]


def _python_definitions(tree: ast.Module) -> list[Definition]:
    found: list[Definition] = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                kind = (
                    DefinitionKind.CLASS
                    if isinstance(node, ast.ClassDef)
                    else DefinitionKind.FUNCTION
                )
                start = min([d.lineno for d in node.decorator_list] + [node.lineno])
                qualname = f"{prefix}{node.name}"
                found.append(Definition(node.name, qualname, kind, start, node.end_lineno or start))
                visit(node.body, qualname + ".")
            elif isinstance(node, ast.If | ast.Try | ast.With):
                # Definitions guarded by version checks or optional imports are still definitions.
                for block in (
                    node.body,
                    getattr(node, "orelse", []),
                    getattr(node, "finalbody", []),
                ):
                    visit(block, prefix)

    visit(tree.body, "")
    return found


def _parse_python(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def outline_python(text: str) -> list[Definition] | None:
    """Definitions of a Python file with `ast`; None when it does not parse."""
    tree = _parse_python(text)
    return None if tree is None else _python_definitions(tree)


def _tree_sitter_definitions(root, queries) -> list[Definition]:
    from tree_sitter import QueryCursor

    spans = []
    for query in queries:
        for _, captures in QueryCursor(query).matches(root):
            node, names = captures.get("def", []), captures.get("name", [])
            if node and names:
                name = names[0].text.decode("utf-8", errors="replace").split("::")[-1]
                spans.append((node[0].start_byte, -node[0].end_byte, node[0], name))
    spans.sort(key=lambda item: (item[0], item[1]))
    found: list[Definition] = []
    stack: list[tuple[int, str]] = []
    for start_byte, neg_end, node, name in spans:
        while stack and stack[-1][0] <= start_byte:
            stack.pop()
        kind = (
            DefinitionKind.CLASS
            if any(w in node.type for w in _CONTAINER_WORDS)
            else DefinitionKind.FUNCTION
        )
        qualname = ".".join([*(q for _, q in stack[-1:]), name])
        start, end = _line_span(node)
        found.append(Definition(name, qualname, kind, start, end))
        stack.append((-neg_end, qualname))
    return found


def _line_span(node) -> tuple[int, int]:
    start = node.start_point[0] + 1
    # Some grammars end a node after its newline, at column 0 of the next line.
    end = node.end_point[0] + (1 if node.end_point[1] > 0 else 0)
    return start, max(start, end)


def _tree_sitter_imports(root) -> list[int]:
    lines: list[int] = []
    for child in root.children:
        if child.type in _IMPORT_NODES or (
            child.type == "lexical_declaration" and b"require(" in (child.text or b"")
        ):
            start, end = _line_span(child)
            lines.extend(range(start, end + 1))
    return lines


def outline_tree_sitter(text: str, language: str) -> list[Definition] | None:
    """Definitions of a file with tree-sitter; None when the language has no grammar here."""
    loaded = load_query(language)
    if loaded is None:
        return None
    parser, queries = loaded
    return _tree_sitter_definitions(
        parser.parse(text.encode("utf-8", errors="replace")).root_node, queries
    )


def outline_file(text: str, language: str | None) -> FileOutline:
    """Definitions and imports of one file: `ast` for Python (tree-sitter if it fails), else tree-sitter."""
    if language == "python":
        tree = _parse_python(text)
        if tree is not None:
            imports = [
                line
                for node in tree.body
                if isinstance(node, ast.Import | ast.ImportFrom)
                for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)
            ]
            return FileOutline(_python_definitions(tree), imports)
    loaded = load_query(language) if language else None
    if loaded is None:
        return FileOutline([], [])
    parser, queries = loaded
    root = parser.parse(text.encode("utf-8", errors="replace")).root_node
    definitions = sorted(_tree_sitter_definitions(root, queries), key=lambda d: (d.start, -d.end))
    return FileOutline(definitions, _tree_sitter_imports(root))


def outline(text: str, language: str | None) -> list[Definition]:
    """Definitions of one file, sorted by position; empty when nothing can parse it."""
    return outline_file(text, language).definitions


def import_lines(text: str, language: str | None) -> list[int]:
    """1-based line numbers of the file's top-level import statements (and package line)."""
    return outline_file(text, language).imports


def scan_definition_names(text: str, language: str | None) -> set[str]:
    """Names a file defines, by a fast scan fit for every file of a large repository."""
    if language in ("python", "cython"):
        return {a or b for a, b in _PY_SCAN.findall(text)}
    if language is None:
        return set()
    return {a or b for a, b in _GENERIC_SCAN.findall(text)}
