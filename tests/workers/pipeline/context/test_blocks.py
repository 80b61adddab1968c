"""File blocks: line splitting as git numbers lines, span merging, rendering, assembly."""

from __future__ import annotations

from workers.model.tokenizer import EstimatingTokenizer
from workers.pipeline.context.blocks import (
    ContextRole,
    PackedFile,
    assemble,
    merge_spans,
    render,
    split_lines,
)


def test_lines_split_on_newlines_only() -> None:
    assert split_lines("a\fb\r\nc\n") == ["a\fb", "c"]
    assert split_lines("a\nb", truncated=True) == ["a"]


def test_spans_apart_only_by_blank_lines_join() -> None:
    lines = ["x", "", "y", "z", "w"]
    assert merge_spans([(3, 3), (1, 1), (5, 5)], lines) == [(1, 3), (5, 5)]


def test_a_block_marks_what_it_leaves_out_and_outlasts_fences_in_the_code() -> None:
    lines = ["```", "b", "c"]
    text = render("f.md", lines, [(2, 2)], whole=False)
    assert text.startswith("### f.md (excerpt of a 3-line file)\n````\n")
    assert "   ...\n     2\tb\n   ...\n````" in text


def test_assembly_drops_trailing_blocks_until_the_measured_text_fits() -> None:
    blocks = [
        PackedFile(f"f{n}.py", ContextRole.EDIT, True, ((1, 1),), "x" * 300, 10) for n in range(3)
    ]
    context = assemble(list(blocks), [], 250, EstimatingTokenizer())
    assert context.tokens <= 250 and [b.path for b in context.files] == ["f0.py", "f1.py"]
    assert context.omitted == ("f2.py",)
