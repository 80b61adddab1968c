"""What narrowing shows: the source paths within a size, and a file's outline."""

from __future__ import annotations

from tests.workers.pipeline.context.localize.trees import write_tree
from workers.pipeline.context.narrow.outline import repository_structure, skeleton


def test_structure_lists_sources_picks_first_and_stops_at_the_size() -> None:
    paths = ["README.md", "b/deep/z.py", "a.py", "b/c.py", "data.bin"]
    text, shown = repository_structure(paths, ["b/c.py"], 1000)
    assert shown == ["b/c.py", "a.py", "b/deep/z.py"]  # no README, no binary; picks first
    assert text == "b/c.py\na.py\nb/deep/z.py"
    _, cut = repository_structure(paths, ["b/c.py"], 12)
    assert cut == ["b/c.py", "a.py"]


def test_skeleton_has_signatures_docstrings_and_nesting(tmp_path) -> None:
    source = (
        "import os\n\n\n"
        "@decorated\n"
        "def top(a,\n        b):\n"
        '    """Adds things.\n\n    More.\n    """\n'
        "    return a + b\n\n\n"
        "class Box:\n"
        "    '''A box.'''\n\n"
        "    def open(self):\n"
        "        return os.getcwd()\n"
    )
    root = write_tree(tmp_path, {"m.py": source})
    assert skeleton(root, "m.py", 1000).splitlines() == [
        "### m.py",
        "4: def top(a,  # Adds things.",
        "14: class Box:  # A box.",
        "    17: def open(self):",
    ]
    assert skeleton(root, "m.py", 40).splitlines()[-1].endswith("...")
    assert skeleton(root, "missing.py", 100) == ""
