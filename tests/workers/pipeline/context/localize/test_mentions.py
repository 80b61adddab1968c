from workers.pipeline.context.localize.mentions import (
    MentionKind,
    PathIndex,
    find_mentions,
    find_named_paths,
    find_tracebacks,
    find_urls,
    score_mentions,
)

PATHS = [
    "src/pkg/__init__.py",
    "src/pkg/core.py",
    "src/pkg/io/reader.py",
    "src/pkg/io/__init__.py",
    "src/pkg/util.py",
    "tests/test_core.py",
    "docs/index.rst",
    "setup.cfg",
    "other/util.py",
    "app/src/main/java/org/acme/Service.java",
]


def test_paths_written_anywhere_resolve_by_their_longest_suffix():
    index = PathIndex(PATHS)
    assert index.resolve_path("/home/me/checkout/src/pkg/core.py") == ["src/pkg/core.py"]
    assert index.resolve_path("/venv/lib/python3.11/site-packages/pkg/io/reader.py") == [
        "src/pkg/io/reader.py"
    ]
    assert index.resolve_path("./setup.cfg") == ["setup.cfg"]
    # Ambiguous names give every equally good match; the interpreter's own files give none.
    assert index.resolve_path("util.py") == ["other/util.py", "src/pkg/util.py"]
    assert index.resolve_path("/usr/lib/python3.11/logging/__init__.py") == []


def test_module_paths_resolve_with_or_without_source_root_and_attributes():
    index = PathIndex(PATHS)
    assert index.resolve_module("pkg.io.reader") == ("src/pkg/io/reader.py", True)
    assert index.resolve_module("pkg.core.Engine.run") == ("src/pkg/core.py", False)
    assert index.resolve_module("numpy.linalg") == (None, False)


def test_last_project_frame_of_a_traceback_weighs_most():
    issue = """Crash
Traceback (most recent call last):
  File "/usr/lib/python3.11/runpy.py", line 198, in _run_module_as_main
  File "/home/u/proj/src/pkg/io/reader.py", line 10, in read
    return parse(text)
  File "/home/u/proj/src/pkg/core.py", line 42, in parse
    raise ValueError("bad")
ValueError: bad
"""
    mentions = find_tracebacks(issue, PathIndex(PATHS))
    assert [(m.path, m.line, m.symbol) for m in mentions] == [
        ("src/pkg/core.py", 42, "parse"),
        ("src/pkg/io/reader.py", 10, "read"),
    ]
    assert mentions[0].weight > mentions[1].weight
    assert all(m.kind == MentionKind.TRACEBACK for m in mentions)


def test_ipython_pytest_and_java_frames_are_understood():
    issue = """
/opt/conda/lib/python3.9/site-packages/pkg/util.py in helper(x)
     10     y = 1
---> 11     return x / y

src/pkg/core.py:77: in parse
    at org.acme.Service.handle(Service.java:31)
"""
    found = {(m.path, m.line) for m in find_tracebacks(issue, PathIndex(PATHS))}
    assert found == {
        ("src/pkg/util.py", 11),
        ("src/pkg/core.py", 77),
        ("app/src/main/java/org/acme/Service.java", 31),
    }


def test_blob_urls_map_to_files_with_their_line_anchor():
    issue = (
        "See https://github.com/acme/pkg/blob/feature/x/src/pkg/core.py#L12-L20 and "
        "https://github.com/acme/pkg/blob/0123abc/src/pkg/util.py"
    )
    mentions = find_urls(issue, PathIndex(PATHS))
    assert [(m.path, m.line) for m in mentions] == [
        ("src/pkg/core.py", 12),
        ("src/pkg/util.py", None),
    ]


def test_named_paths_file_names_and_modules_in_prose():
    issue = (
        "The bug is in src/pkg/io/reader.py, maybe setup.cfg too; "
        "`pkg.core.parse` calls it.\nfrom pkg.util import x\n"
    )
    mentions = find_named_paths(issue, PathIndex(PATHS))
    by_kind = {(m.kind, m.path) for m in mentions}
    assert (MentionKind.PATH, "src/pkg/io/reader.py") in by_kind
    assert (MentionKind.FILENAME, "setup.cfg") in by_kind
    assert (MentionKind.MODULE, "src/pkg/core.py") in by_kind
    scores = score_mentions(mentions)
    # A module named in an import line of a snippet says less than one named in prose.
    assert scores["src/pkg/util.py"] < scores["src/pkg/core.py"]


def test_text_without_mentions_gives_none():
    assert find_mentions("", PathIndex(PATHS)) == []
    assert find_mentions("Something is slow when I click.", PathIndex(PATHS)) == []
