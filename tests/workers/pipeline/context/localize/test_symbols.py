import pytest

from workers.pipeline.context.localize.symbols import (
    DefinitionKind,
    import_lines,
    load_query,
    outline,
    outline_python,
    scan_definition_names,
)

PYTHON = """import os
from typing import Any


@decorator
class Engine:
    def run(self):
        def inner():
            return 1
        return inner()


if os.name == "nt":
    def windows_only():
        pass
"""


def test_python_outline_has_qualified_names_spans_and_guarded_definitions():
    found = {(d.qualname, d.kind, d.start, d.end) for d in outline_python(PYTHON)}
    assert ("Engine", DefinitionKind.CLASS, 5, 10) in found
    assert ("Engine.run", DefinitionKind.FUNCTION, 7, 10) in found
    assert ("Engine.run.inner", DefinitionKind.FUNCTION, 8, 9) in found
    assert ("windows_only", DefinitionKind.FUNCTION, 14, 15) in found
    assert import_lines(PYTHON, "python") == [1, 2]


def test_python_that_ast_cannot_parse_falls_back_to_tree_sitter():
    legacy = 'def show(x):\n    print "value", x\n\nclass Old:\n    pass\n'
    assert outline_python(legacy) is None
    assert {d.name for d in outline(legacy, "python")} == {"show", "Old"}


@pytest.mark.parametrize(
    ("language", "source", "expected", "imports"),
    [
        (
            "javascript",
            "import x from 'y';\nfunction load() {}\nclass Store { save() {} }\n"
            "const parse = (s) => s;\n",
            {"load", "Store", "save", "parse"},
            [1],
        ),
        (
            "typescript",
            "interface Shape { area(): number }\nexport function draw(s: Shape) {}\n",
            {"Shape", "draw"},
            [],
        ),
        (
            "go",
            'package main\nimport "fmt"\ntype Server struct{}\n'
            "func (s *Server) Serve() {}\nfunc main() { fmt.Println() }\n",
            {"Server", "Serve", "main"},
            [1, 2],
        ),
        (
            "rust",
            "use std::io;\nstruct Config {}\nimpl Config { fn load() {} }\n",
            {"Config", "load"},
            [1],
        ),
        ("java", "package a;\nclass Service { void handle() {} }\n", {"Service", "handle"}, [1]),
        (
            "c",
            "#include <stdio.h>\nstatic int *make_buffer(int n) { return 0; }\n",
            {"make_buffer"},
            [1],
        ),
    ],
)
def test_other_languages_are_outlined_with_tree_sitter(language, source, expected, imports):
    assert load_query(language) is not None, f"no tree-sitter grammar for {language}"
    found = outline(source, language)
    assert {d.name for d in found} == expected
    assert import_lines(source, language) == imports


def test_methods_get_their_container_in_the_qualified_name():
    found = {d.qualname for d in outline("class Store {\n  save() {}\n}\n", "javascript")}
    assert found == {"Store", "Store.save"}


def test_fast_scan_finds_definitions_without_parsing():
    assert scan_definition_names(PYTHON, "python") >= {"Engine", "run", "inner", "windows_only"}
    assert "load" in scan_definition_names("export function load() {}", "javascript")
    assert scan_definition_names("just words", None) == set()


def test_unknown_languages_have_no_outline():
    assert outline("whatever", "cobol") == []
    assert outline("x = 1", None) == []
