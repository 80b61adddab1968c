from workers.pipeline.context.blocks import render
from workers.pipeline.context.estimate import count_pieces, line_sizes, number_pieces


def test_a_numbered_line_adds_the_pieces_its_number_and_line_break_take():
    lines = [f"    total = amount_{n} + 1" for n in range(1, 1003)]
    for start, end in ((1, 5), (995, 1002)):
        block = render("m.py", lines, [(start, end)], whole=False)
        body = block.split("```\n", 1)[1].rsplit("```", 1)[0]
        numbered = [line + "\n" for line in body.splitlines() if line.lstrip()[:1].isdigit()]
        sizes = line_sizes(lines)
        assert sum(count_pieces(line) for line in numbered) == sum(
            sizes[n - 1][0] + number_pieces(n) for n in range(start, end + 1)
        )
