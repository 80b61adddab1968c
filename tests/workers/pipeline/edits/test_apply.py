"""Applying edits exactly as meant: each format, each known model mistake, each refusal."""

from __future__ import annotations

import pytest

from tests.workers.pipeline.edits.edit_helpers import apply_response, lay_out, read_tree, sr_block
from workers.pipeline.edits.types import EditRefused, RefusalKind

MODULE = (
    "import os\n"
    "\n"
    "\n"
    "class Store:\n"
    "    def __init__(self):\n"
    "        self.items = {}\n"
    "\n"
    "    def add(self, key, value):\n"
    "        if key in self.items:\n"
    "            raise KeyError(key)\n"
    "        self.items[key] = value\n"
    "\n"
    "    def get(self, key):\n"
    "        return self.items[key]\n"
)
FIXED = MODULE.replace("raise KeyError(key)", "raise ValueError(f'duplicate {key}')")


def diff_response(body: str, path: str = "store.py") -> str:
    return f"Fix:\n\n```diff\n--- a/{path}\n+++ b/{path}\n{body}```\n"


HUNK = (
    " class Store:\n"
    "     def __init__(self):\n"
    "         self.items = {}\n"
    " \n"
    "     def add(self, key, value):\n"
    "         if key in self.items:\n"
    "-            raise KeyError(key)\n"
    "+            raise ValueError(f'duplicate {key}')\n"
    "         self.items[key] = value\n"
)


@pytest.fixture
def root(tmp_path):
    lay_out(tmp_path, {"store.py": MODULE})
    return tmp_path


def result(root) -> str:
    return (root / "store.py").read_text()


SEARCH = "        if key in self.items:\n            raise KeyError(key)\n"
REPLACE = "        if key in self.items:\n            raise ValueError(f'duplicate {key}')\n"


@pytest.mark.parametrize(
    ("search", "replace"),
    [
        pytest.param(SEARCH, REPLACE, id="exact"),
        pytest.param(
            SEARCH.replace("\n", "  \n"), REPLACE.replace("\n", " \n"), id="trailing_whitespace"
        ),
        pytest.param(
            SEARCH.replace("        ", "    "), REPLACE.replace("        ", "    "), id="dedented"
        ),
        pytest.param(
            "".join("    " + line + "\n" for line in SEARCH.splitlines()),
            "".join("    " + line + "\n" for line in REPLACE.splitlines()),
            id="indented",
        ),
        pytest.param(SEARCH.replace("    ", "\t"), REPLACE.replace("    ", "\t"), id="tabs"),
        pytest.param("\n" + SEARCH + "\n", "\n" + REPLACE + "\n", id="blank_edges"),
    ],
)
def test_search_replace_tolerates_known_mistakes(root, search, replace):
    apply_response(root, sr_block("store.py", search, replace))
    assert result(root) == FIXED


def test_search_with_a_blank_line_left_out_keeps_the_blank_line(root):
    search = "        self.items = {}\n    def add(self, key, value):\n"
    replace = "        self.items = {}\n        self.count = 0\n    def add(self, key, value):\n"
    apply_response(root, sr_block("store.py", search, replace))
    assert "        self.items = {}\n        self.count = 0\n\n    def add" in result(root)


def test_elided_search_and_replace(root):
    search = "    def add(self, key, value):\n        ...\n        self.items[key] = value\n"
    replace = "    def add(self, key, value):\n        ...\n        self.items[key] = value\n        return value\n"
    apply_response(root, sr_block("store.py", search, replace))
    assert (
        "            raise KeyError(key)\n        self.items[key] = value\n        return value\n"
        in result(root)
    )


def test_elision_dropped_from_replace_is_refused(root):
    search = "    def add(self, key, value):\n        ...\n        self.items[key] = value\n"
    replace = "    def add(self, key, value):\n        self.items[key] = value\n"
    with pytest.raises(EditRefused) as refusal:
        apply_response(root, sr_block("store.py", search, replace))
    assert refusal.value.kind is RefusalKind.ELISION
    assert result(root) == MODULE


def test_ambiguous_search_is_refused_with_the_places(root):
    (root / "store.py").write_text(MODULE + MODULE)
    with pytest.raises(EditRefused) as refusal:
        apply_response(root, sr_block("store.py", SEARCH, REPLACE))
    assert refusal.value.kind is RefusalKind.AMBIGUOUS
    assert "matches 2 places (lines 9, 23)" in refusal.value.message
    assert "edit 1 (SEARCH/REPLACE block for store.py" in refusal.value.message


def test_context_makes_a_repeated_change_unique(root):
    (root / "store.py").write_text(MODULE.replace("return self.items[key]", "raise KeyError(key)"))
    apply_response(root, sr_block("store.py", SEARCH, REPLACE))
    assert result(root).count("raise KeyError(key)") == 1


def test_search_that_is_not_in_the_file_is_refused_naming_the_line(root):
    with pytest.raises(EditRefused) as refusal:
        apply_response(root, sr_block("store.py", SEARCH.replace("items", "itemz"), REPLACE))
    assert refusal.value.kind is RefusalKind.NOT_FOUND
    assert "'if key in self.itemz:'" in refusal.value.message
    assert "closest line in the file is 9" in refusal.value.message


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("@@ -4,9 +4,9 @@\n", id="right_numbers"),
        pytest.param("@@ -40,9 +40,9 @@\n", id="wrong_line_numbers"),
        pytest.param("@@ -4,3 +4,12 @@\n", id="wrong_counts"),
        pytest.param("@@ ... @@\n", id="no_numbers"),
    ],
)
def test_unified_diff_with_header_mistakes(root, header):
    apply_response(root, diff_response(header + HUNK))
    assert result(root) == FIXED


@pytest.mark.parametrize(
    "hunk",
    [
        pytest.param(HUNK.replace(" \n", "\n"), id="blank_context_without_space"),
        pytest.param(HUNK.replace(" \n", ""), id="blank_context_missing"),
        pytest.param(
            HUNK.replace("     def add", " \n     def add", 1).replace(" \n \n", " \n"),
            id="blank_context_extra",
        ),
        pytest.param(
            "".join(line[0] + "    " + line[1:] for line in HUNK.splitlines(keepends=True)),
            id="indent_shift",
        ),
        pytest.param(
            " class Store:\n ...\n         if key in self.items:\n-            raise KeyError(key)\n"
            "+            raise ValueError(f'duplicate {key}')\n",
            id="elided_context",
        ),
    ],
)
def test_unified_diff_with_context_mistakes(root, hunk):
    apply_response(root, diff_response("@@ -4,9 +4,9 @@\n" + hunk))
    assert result(root) == FIXED


def test_line_numbers_choose_between_equal_places_and_only_then(root):
    text = (
        MODULE
        + "\n\ndef other():\n    x = 1\n    y = 2\n    return x\n"
        + "\n" * 3
        + "def third():\n    x = 1\n    y = 2\n    return x\n"
    )
    (root / "store.py").write_text(text)
    hunk = "@@ -{n},3 +{n},3 @@\n     x = 1\n-    y = 2\n+    y = 3\n     return x\n"
    second = text.splitlines().index("def third():") + 2
    apply_response(root, diff_response(hunk.format(n=second)))
    assert result(root).endswith("def third():\n    x = 1\n    y = 3\n    return x\n")
    assert "    y = 2\n    return x\n" in result(root)
    (root / "store.py").write_text(text)
    with pytest.raises(EditRefused) as refusal:
        apply_response(root, diff_response("@@ ... @@\n     x = 1\n-    y = 2\n+    y = 3\n"))
    assert refusal.value.kind is RefusalKind.AMBIGUOUS


def test_several_hunks_and_files_with_new_and_deleted_files(root):
    lay_out(root, {"gone.py": "x = 1\n", "pkg/mod.py": "a = 1\nb = 2\n"})
    response = (
        "```diff\n--- a/store.py\n+++ b/store.py\n@@ -1,2 +1,2 @@\n-import os\n+import sys\n \n"
        "@@ -12,3 +12,3 @@\n \n     def get(self, key):\n-        return self.items[key]\n+        return self.items.get(key)\n"
        "--- a/gone.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x = 1\n"
        "--- /dev/null\n+++ b/tests/test_new.py\n@@ -0,0 +1,2 @@\n+def test():\n+    pass\n"
        "--- pkg/mod.py\n+++ pkg/mod.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n+b = 3\n```\n"
    )
    apply_response(root, response)
    tree = read_tree(root)
    assert tree["store.py"].startswith(b"import sys\n")
    assert tree["store.py"].endswith(b"return self.items.get(key)\n")
    assert "gone.py" not in tree
    assert tree["tests/test_new.py"] == b"def test():\n    pass\n"
    assert tree["pkg/mod.py"] == b"a = 1\nb = 3\n"


def test_whole_file_replaces_content_and_fills_a_trailing_elision(root):
    head = MODULE.split("    def get")[0].replace("import os", "import sys")
    apply_response(root, f"store.py\n```python\n{head}# ... rest of the file unchanged ...\n```\n")
    assert result(root) == MODULE.replace("import os", "import sys")


def test_whole_file_comment_header_is_dropped_unless_the_file_has_it(root):
    apply_response(root, "```python\n# store.py\n" + FIXED + "```\n")
    assert result(root) == FIXED
    lay_out(root, {"cfg.py": "# cfg.py\nA = 1\n"})
    apply_response(root, "```python\n# cfg.py\nA = 2\n```\n")
    assert (root / "cfg.py").read_text() == "# cfg.py\nA = 2\n"


def test_whole_file_that_is_only_an_excerpt_is_refused(root):
    excerpt = "    def add(self, key, value):\n        self.items[key] = value\n"
    lay_out(root, {"big.py": MODULE * 3})
    with pytest.raises(EditRefused):
        apply_response(root, f"big.py\n```python\n{excerpt}```\n")


def test_new_file_from_empty_search_and_from_whole_file(root):
    apply_response(
        root,
        sr_block("pkg/new.py", "", "VALUE = 1\n")
        + "\n`docs/notes.md`\n```markdown\n# Notes\n```\n",
    )
    assert (root / "pkg/new.py").read_text() == "VALUE = 1\n"
    assert (root / "docs/notes.md").read_text() == "# Notes\n"


def test_empty_search_on_a_file_with_content_is_refused(root):
    with pytest.raises(EditRefused) as refusal:
        apply_response(root, sr_block("store.py", "", "x = 1\n"))
    assert refusal.value.kind is RefusalKind.NOT_FOUND


@pytest.mark.parametrize("path", ["./store.py", "myrepo/store.py", "store.py"])
def test_dot_slash_and_repository_name_prefixes(root, path):
    apply_response(root, sr_block(path, SEARCH, REPLACE))
    assert result(root) == FIXED
    assert sorted(read_tree(root)) == ["store.py"]


def test_crlf_file_keeps_crlf_and_crlf_response_leaves_lf_file_lf(tmp_path):
    lay_out(tmp_path, {"crlf.py": MODULE.replace("\n", "\r\n"), "lf.py": MODULE})
    response = sr_block("crlf.py", SEARCH, REPLACE) + sr_block("lf.py", SEARCH, REPLACE).replace(
        "\n", "\r\n"
    )
    apply_response(tmp_path, response)
    assert (tmp_path / "crlf.py").read_bytes() == FIXED.replace("\n", "\r\n").encode()
    assert (tmp_path / "lf.py").read_bytes() == FIXED.encode()


def test_file_without_final_newline_stays_without_one(tmp_path):
    lay_out(tmp_path, {"a.py": "x = 1\ny = 2"})
    apply_response(tmp_path, sr_block("a.py", "y = 2\n", "y = 3\nz = 4\n"))
    assert (tmp_path / "a.py").read_bytes() == b"x = 1\ny = 3\nz = 4"


def test_third_edit_failing_leaves_the_first_two_untouched(tmp_path):
    files = {"one.py": "a = 1\n", "two.py": "b = 1\n", "three.py": "c = 1\n"}
    lay_out(tmp_path, files)
    response = (
        sr_block("one.py", "a = 1\n", "a = 2\n")
        + sr_block("two.py", "b = 1\n", "b = 2\n")
        + sr_block("three.py", "missing = 1\n", "c = 2\n")
    )
    with pytest.raises(EditRefused) as refusal:
        apply_response(tmp_path, response)
    assert refusal.value.message.startswith("edit 3 ")
    assert read_tree(tmp_path) == {k: v.encode() for k, v in files.items()}


@pytest.mark.parametrize(
    "path",
    ["../outside.py", "pkg/../../outside.py", "/tmp/iquest-outside/x.py", "..\\outside.py"],
)
def test_paths_that_leave_the_repository_refuse_the_whole_response(tmp_path, path):
    root = tmp_path / "repo"
    lay_out(root, {"a.py": "a = 1\n"})
    response = sr_block("a.py", "a = 1\n", "a = 2\n") + sr_block(path, "", "evil = 1\n")
    with pytest.raises(EditRefused) as refusal:
        apply_response(root, response)
    assert refusal.value.kind is RefusalKind.UNSAFE_PATH
    assert read_tree(tmp_path) == {"repo/a.py": b"a = 1\n"}


def test_symlink_out_of_the_repository_is_refused(tmp_path):
    root = tmp_path / "repo"
    lay_out(tmp_path, {"outside/x.py": "x = 1\n"})
    root.mkdir()
    (root / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(EditRefused) as refusal:
        apply_response(root, sr_block("link/x.py", "x = 1\n", "x = 2\n"))
    assert refusal.value.kind is RefusalKind.UNSAFE_PATH
    assert (tmp_path / "outside/x.py").read_text() == "x = 1\n"


@pytest.mark.parametrize("path", [".github/workflows/ci.yml", ".git/config", "secrets/key.pem"])
def test_protected_paths_are_refused(tmp_path, path):
    lay_out(tmp_path, {path: "a: 1\n"})
    with pytest.raises(EditRefused) as refusal:
        apply_response(tmp_path, sr_block(path, "a: 1\n", "a: 2\n"), protected=("secrets/*",))
    assert refusal.value.kind is RefusalKind.PROTECTED_PATH
    assert (tmp_path / path).read_text() == "a: 1\n"


def test_binary_files_are_refused(tmp_path):
    lay_out(tmp_path, {"logo.png": b"\x89PNG\r\n\x1a\n\x00\x00x = 1\n"})
    with pytest.raises(EditRefused) as refusal:
        apply_response(tmp_path, sr_block("logo.png", "x = 1\n", "x = 2\n"))
    assert refusal.value.kind is RefusalKind.BINARY


def test_responses_without_edits_or_cut_off_or_changing_nothing_are_refused(root):
    for response, kind in [
        ("I could not find the bug.", RefusalKind.NO_EDITS),
        ("store.py\n```python\n<<<<<<< SEARCH\nimport os\n=======\n", RefusalKind.MALFORMED),
        (sr_block("store.py", "import os\n", "import os\n"), RefusalKind.NO_EDITS),
        (sr_block("gone.py", "x\n", "y\n"), RefusalKind.MISSING_FILE),
    ]:
        with pytest.raises(EditRefused) as refusal:
            apply_response(root, response)
        assert refusal.value.kind is kind
    assert result(root) == MODULE


def test_sequential_blocks_see_earlier_blocks_changes(root):
    response = sr_block("store.py", "import os\n", "import os\nimport sys\n") + sr_block(
        "store.py", "import sys\n", "import sys  # needed\n"
    )
    apply_response(root, response)
    assert result(root).startswith("import os\nimport sys  # needed\n\n")


def test_code_quoted_under_its_path_is_not_taken_as_the_whole_file(root):
    quote = "    def get(self, key):\n        return self.items[key]\n"
    response = "store.py\n```python\n" + quote + "```\n\n" + sr_block("store.py", SEARCH, REPLACE)
    plan = apply_response(root, response)
    assert result(root) == FIXED
    assert any("only quotes the file" in note for note in plan.notes)


def test_mixed_line_endings_of_untouched_lines_are_kept(tmp_path):
    lay_out(tmp_path, {"m.py": b"a = 1\r\nb = 2\nc = 3\r\n"})
    apply_response(tmp_path, sr_block("m.py", "b = 2\n", "b = 20\n"))
    assert (tmp_path / "m.py").read_bytes() == b"a = 1\r\nb = 20\r\nc = 3\r\n"
