from tests.workers.pipeline.context.localize.trees import filler_module, write_tree
from workers.pipeline.context.localize import RankWeights, localize, rank_files
from workers.pipeline.context.localize.graph import (
    import_shares,
    module_map,
    resolve_imports,
    scan_imports,
)
from workers.pipeline.context.localize.mentions import PathIndex


def test_scan_imports_reads_from_import_lists_aliases_and_relative_imports():
    text = (
        "import os, docgen.astutil as au\n"
        "from docgen import (\n    domain,\n    render as r,\n)\n"
        "from .itrs import ITRS  # frame\n"
        "from .. import base\n"
        "def f():\n    from docgen.lazy import later\n"
    )
    found = scan_imports(text)
    assert {"os", "docgen.astutil", "docgen", "docgen.domain", "docgen.render"} <= set(found)
    assert {".itrs", ".itrs.ITRS", "..base", "docgen.lazy.later"} <= set(found)
    assert "r" not in found and "au" not in found


def test_resolve_imports_maps_absolute_relative_and_src_layout_names_to_files():
    paths = [
        "src/docgen/__init__.py",
        "src/docgen/astutil.py",
        "src/docgen/frames/__init__.py",
        "src/docgen/frames/itrs.py",
        "src/docgen/frames/transforms.py",
    ]
    modules = PathIndex(paths).modules
    imported = scan_imports(
        "from docgen.astutil import unparse\nfrom .itrs import ITRS\nfrom .. import astutil\n"
        "import json\n"
    )
    resolved = resolve_imports("src/docgen/frames/transforms.py", imported, modules)
    assert resolved == {
        "src/docgen/astutil.py",
        "src/docgen/frames/itrs.py",
        "src/docgen/__init__.py",
    }
    # Too many dots for the folder, or a module outside the tree: nothing, not an error.
    assert resolve_imports("src/docgen/astutil.py", [".....x", "numpy.linalg"], modules) == set()


def test_top_level_modules_resolve_from_import_lines():
    modules = module_map(["six.py", "src/compat.py", "setup.cfg", "pkg/__init__.py", "pkg/a.py"])
    imported = scan_imports("import six\nfrom compat import shim\nfrom pkg import a\n")
    assert resolve_imports("pkg/a.py", imported, modules) == {
        "six.py",
        "src/compat.py",
        "pkg/__init__.py",
    }
    assert resolve_imports("six.py", ["pkg.a"], modules) == {"pkg/a.py"}


def test_an_imported_file_earns_a_share_only_with_relevance_of_its_own_and_a_strong_importer():
    scores = {"a.py": 2.0, "b.py": 1.0, "c.py": 0.1, "weak.py": 0.05}
    imports = {"a.py": {"helper.py", "util.py"}, "weak.py": {"far.py"}}
    relevance = {"helper.py": 0.5, "far.py": 1.0}
    shares = import_shares(scores, lambda path: imports.get(path, ()), relevance, seeds=3)
    # util.py is imported by the best file but matches nothing; far.py's importer is not a seed.
    assert shares == {"helper.py": 0.5}


DOCGEN = {
    "docgen/__init__.py": "",
    "docgen/domain.py": '"""Signatures and annotations of documented objects."""\n\n'
    "from docgen.astutil import unparse_node\nfrom docgen.textutil import tidy\n\n\n"
    'def render_annotation(annotation):\n    """Render an annotation of a signature."""\n'
    "    text = unparse_node(annotation)\n    return tidy(text)\n",
    "docgen/astutil.py": filler_module("astutil")
    + "\n\ndef unparse_node(node):\n    return [node.pop()]\n",
    # Imported by the traceback's file and full of the issue's words, but defines nothing it names.
    "docgen/textutil.py": '"""Tidy rendered annotation text: empty tuple, signature."""\n\n'
    "def tidy(text):\n    return text\n",
    **{
        f"docgen/{name}.py": f'"""{name}: signatures and annotations, tuple types, empty."""\n\n'
        + "\n".join(
            f"def {name}_{i}(annotation):\n"
            "    # render the annotation of a signature, an empty tuple\n"
            "    return annotation\n"
            for i in range(4)
        )
        for name in ("signature", "typing_render", "renderer")
    },
}
CRASH = """Empty tuple annotation crashes the signature renderer
Annotations of an empty tuple type crash:

```
Traceback (most recent call last):
  File "docgen/domain.py", line 8, in render_annotation
    text = unparse_node(annotation)
IndexError: pop from empty list
```
"""


def test_the_module_a_traceback_file_calls_into_is_ranked_just_below_it(tmp_path):
    write_tree(tmp_path, DOCGEN)
    ranked = rank_files(tmp_path, CRASH)
    assert [r.path for r in ranked[:2]] == ["docgen/domain.py", "docgen/astutil.py"]
    assert ranked[1].signals["graph"] > 0
    # Without the import graph the words of the other modules bury it.
    unlifted = [r.path for r in rank_files(tmp_path, CRASH, RankWeights(graph=0))]
    assert unlifted.index("docgen/astutil.py") > 2


def test_an_imported_module_that_defines_nothing_the_issue_names_is_not_lifted(tmp_path):
    write_tree(tmp_path, DOCGEN)
    with_graph = {r.path: r for r in rank_files(tmp_path, CRASH)}
    without = {r.path: r for r in rank_files(tmp_path, CRASH, RankWeights(graph=0))}
    assert with_graph["docgen/textutil.py"].signals["graph"] == 0
    assert with_graph["docgen/textutil.py"].score == without["docgen/textutil.py"].score
    assert "docgen/textutil.py" not in localize(tmp_path, CRASH, 2)
