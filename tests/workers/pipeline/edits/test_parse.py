"""Reading edits and analysis out of raw model responses, in the shapes models produce."""

from __future__ import annotations

from workers.model.reply import strip_reasoning
from workers.pipeline.edits.parse import parse_response
from workers.pipeline.edits.parse_paths import extract_path_line, looks_like_path
from workers.pipeline.edits.types import FilePatch, LineKind, SearchReplaceEdit, WholeFileEdit


def test_search_replace_blocks_with_paths_prose_and_several_per_file():
    response = (
        "The bug is in the loop.\n\n"
        "src/app.py\n```python\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```\n\n"
        "And the other one, in the same fence:\n\n"
        "`src/util.py`\n```python\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n"
        "<<<<<<< SEARCH\nc\n=======\nd\n>>>>>>> REPLACE\n```\n"
    )
    parsed = parse_response(response)
    assert parsed.problems == []
    assert [(e.path, e.search, e.replace) for e in parsed.edits] == [
        ("src/app.py", "x = 1\n", "x = 2\n"),
        ("src/util.py", "a\n", "b\n"),
        ("src/util.py", "c\n", "d\n"),
    ]
    assert all(isinstance(e, SearchReplaceEdit) for e in parsed.edits)
    # Each edit names the response line of its SEARCH marker, for refusal messages.
    lines = response.split("\n")
    assert all(lines[e.line - 1] == "<<<<<<< SEARCH" for e in parsed.edits)
    assert parsed.root_cause == "The bug is in the loop."


def test_empty_search_is_kept_apart_from_a_search_of_one_blank_line():
    response = (
        "new.py\n```\n<<<<<<< SEARCH\n=======\nprint(1)\n>>>>>>> REPLACE\n```\n"
        "old.py\n```\n<<<<<<< SEARCH\n\n=======\nx\n>>>>>>> REPLACE\n```\n"
    )
    first, second = parse_response(response).edits
    assert first.search == "" and first.replace == "print(1)\n"
    assert second.search == "\n"


def test_search_text_that_holds_a_divider_line_splits_at_the_middle_one():
    block = "Title\n=======\ntext\n"
    response = (
        f"docs/x.py\n```\n<<<<<<< SEARCH\n{block}=======\n{block}more\n>>>>>>> REPLACE\n```\n"
    )
    (edit,) = parse_response(response).edits
    assert edit.search == block and edit.replace == block + "more\n"


def test_path_line_inside_the_fence_and_in_the_info_string():
    inside = "```python\nsrc/a.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```\n"
    info = '```python title="src/b.py"\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```\n'
    assert [e.path for e in parse_response(inside + "\n" + info).edits] == ["src/a.py", "src/b.py"]


def test_unified_diff_fenced_with_git_header_and_several_files():
    response = (
        "Fix:\n\n```diff\ndiff --git a/pkg/a.py b/pkg/a.py\nindex 1..2 100644\n"
        "--- a/pkg/a.py\n+++ b/pkg/a.py\n@@ -1,3 +1,3 @@ def f():\n x\n-y\n+z\n w\n"
        "--- a/pkg/b.py\n+++ b/pkg/b.py\n@@ -10,2 +10,3 @@\n p\n+q\n r\n```\n"
    )
    parsed = parse_response(response)
    first, second = parsed.edits
    assert isinstance(first, FilePatch) and first.path == "pkg/a.py"
    (hunk,) = first.hunks
    assert (hunk.old_start, hunk.old_count, hunk.new_start, hunk.new_count) == (1, 3, 1, 3)
    assert [line.kind for line in hunk.lines] == [
        LineKind.CONTEXT,
        LineKind.REMOVED,
        LineKind.ADDED,
        LineKind.CONTEXT,
    ]
    assert second.path == "pkg/b.py" and second.hunks[0].new_lines == ["p", "q", "r"]


def test_bare_diff_without_ab_prefixes_ends_where_the_prose_starts():
    response = (
        "Here:\n--- pkg/a.py\n+++ pkg/a.py\n@@ -1,2 +1,2 @@\n-x\n+y\n z\n\n"
        "- this bullet is prose, not a removed line\n"
    )
    (patch,) = parse_response(response).edits
    assert patch.old_path == patch.new_path == "pkg/a.py"
    assert patch.hunks[0].old_lines == ["x", "z"]


def test_tolerant_hunks_wrong_counts_missing_numbers_and_blank_lines_without_space():
    response = "```diff\n--- a/m.py\n+++ b/m.py\n@@ -5,9 +5,1 @@\n a\n\n-b\n+c\n d\n@@ ... @@\n e\n-f\n```\n"
    (patch,) = parse_response(response).edits
    first, second = patch.hunks
    assert first.old_lines == ["a", "", "b", "d"] and first.new_lines == ["a", "", "c", "d"]
    assert second.old_start is None and second.old_lines == ["e", "f"]


def test_elision_line_without_its_context_space_stays_in_the_hunk():
    response = "```diff\n--- a/m.py\n+++ b/m.py\n@@ -1,9 +1,9 @@\n def f():\n...\n-    return 1\n+    return 2\n```\n"
    (patch,) = parse_response(response).edits
    assert patch.hunks[0].old_lines == ["def f():", "...", "    return 1"]


def test_a_stray_line_inside_a_hunk_is_a_problem_not_a_silent_cut():
    response = (
        "```diff\n--- a/m.py\n+++ b/m.py\n@@ -1,4 +1,4 @@\n a\nnot a diff line\n-b\n+c\n```\n"
    )
    assert parse_response(response).problems


def test_new_and_deleted_files_in_diffs():
    response = (
        "```diff\n--- /dev/null\n+++ b/tests/test_new.py\n@@ -0,0 +1,2 @@\n+def test():\n+    pass\n"
        "--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x = 1\n```\n"
    )
    created, deleted = parse_response(response).edits
    assert created.old_path is None and created.new_path == "tests/test_new.py"
    assert deleted.old_path == "old.py" and deleted.new_path is None


def test_whole_file_blocks_headed_by_path_line_backticks_or_comment():
    response = (
        "Updated files:\n\nsrc/a.py\n```python\nA = 1\n```\n\n"
        "`src/b.py`\n```python\nB = 1\n```\n\n"
        "```python\n# src/c.py\nC = 1\n```\n"
    )
    edits = parse_response(response).edits
    assert [(e.path, e.content, e.header_line) for e in edits] == [
        ("src/a.py", "A = 1\n", ""),
        ("src/b.py", "B = 1\n", ""),
        ("src/c.py", "C = 1\n", "# src/c.py"),
    ]
    assert all(isinstance(e, WholeFileEdit) for e in edits)


def test_quoted_code_and_shell_commands_are_not_edits():
    response = (
        "In `src/a.py`, the current code is:\n\n```python\nx = 1\n```\n\n"
        "Run the tests to confirm:\n\n```sh\npytest tests/\n```\n"
    )
    parsed = parse_response(response)
    assert parsed.edits == []
    assert "pytest tests/" in parsed.explanation + parsed.tests


def test_unclosed_fence_or_missing_replace_marker_means_a_cut_off_response():
    cut_whole = "src/a.py\n```python\nA = 1\n"
    cut_search = "src/a.py\n```python\n<<<<<<< SEARCH\nx\n=======\ny\n"
    assert parse_response(cut_whole).problems
    assert parse_response(cut_search).problems


def test_reasoning_blocks_are_ignored():
    response = (
        "<think>\nMaybe edit src/a.py like this:\nsrc/a.py\n```python\n<<<<<<< SEARCH\nx\n"
        "=======\nWRONG\n>>>>>>> REPLACE\n```\n</think>\n"
        "src/a.py\n```python\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```\n"
    )
    (edit,) = parse_response(response).edits
    assert edit.replace == "y\n"


def test_reasoning_whose_opening_tag_the_server_dropped():
    assert strip_reasoning("thinking aloud\n</think>\nanswer") == ("\nanswer", "thinking aloud")
    assert strip_reasoning("answer\n<think>\nstill thinking") == ("answer\n", "still thinking")


def test_crlf_response_is_read_as_lf():
    response = "a.py\r\n```\r\n<<<<<<< SEARCH\r\nx\r\n=======\r\ny\r\n>>>>>>> REPLACE\r\n```\r\n"
    (edit,) = parse_response(response).edits
    assert (edit.search, edit.replace) == ("x\n", "y\n")


def test_analysis_sections_root_cause_explanation_and_tests():
    response = (
        "## Root cause\nThe id generator can repeat.\n\n## Fix\nUse secrets.\n\n"
        "a.py\n```\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```\n\n"
        "**Tests:** add a uniqueness test.\n"
    )
    parsed = parse_response(response)
    assert parsed.root_cause == "The id generator can repeat."
    assert parsed.explanation == "Use secrets."
    assert parsed.tests == "add a uniqueness test."


def test_analysis_without_headings_takes_the_first_paragraph_as_root_cause():
    parsed = parse_response("The cache key ignores the locale.\n\nChanged the key.\n")
    assert parsed.root_cause == "The cache key ignores the locale."
    assert parsed.explanation == "Changed the key."


def test_path_recognition():
    assert extract_path_line("**src/app.py**") == "src/app.py"
    assert extract_path_line("### `pkg/__init__.py`") == "pkg/__init__.py"
    assert extract_path_line("File: Makefile") == "Makefile"
    assert extract_path_line("The relevant part of `src/app.py` reads:") is None
    assert not looks_like_path("3.14") and not looks_like_path("e.g.")
    assert looks_like_path("./src/app.py") and looks_like_path("../escape.py")
