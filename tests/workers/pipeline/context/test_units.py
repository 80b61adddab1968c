from workers.pipeline.context.blocks import split_lines
from workers.pipeline.context.localize import read_issue
from workers.pipeline.context.localize.symbols import outline_file
from workers.pipeline.context.units import CHUNK_LINES, file_units, module_code

SOURCE = '''import os

RETRY_LIMIT = 3
registry = {}


class Client:
    """Talks to the server."""

    timeout = 5

    def fetch(self, url):
        return os.path.join(url)

    def close(self):
        pass


def helper():
    return RETRY_LIMIT


registry["client"] = Client
'''


def _units(text: str, issue_text: str):
    lines = split_lines(text)
    return file_units(
        outline_file(text, "python"), lines, read_issue(issue_text, []), "m.py"
    ), lines


def test_module_level_code_between_definitions_is_a_unit_of_its_own():
    units, lines = _units(SOURCE, "RETRY_LIMIT is too low and the registry misses clients")
    by_start = {unit.start: unit for unit in units}
    constants = by_start[1]
    assert lines[constants.start - 1 : constants.end] == [
        "import os",
        "",
        "RETRY_LIMIT = 3",
        "registry = {}",
        "",
        "",
    ]
    assert constants.score > 0
    last = lines.index('registry["client"] = Client') + 1
    [trailing] = [u for u in units if u.start <= last <= u.end]
    assert trailing.anchor is None and trailing.score > 0


def test_a_method_is_its_own_unit_shown_with_its_class_header():
    units, lines = _units(SOURCE, "Client.fetch joins the url wrongly")
    fetch = next(u for u in units if lines[u.start - 1].strip().startswith("def fetch"))
    assert fetch.anchor is not None and lines[fetch.anchor[0] - 1] == "class Client:"
    assert fetch.spans == [(fetch.start, fetch.end), fetch.anchor]
    # Named by the issue: it outscores its sibling.
    close = next(u for u in units if lines[u.start - 1].strip().startswith("def close"))
    assert fetch.score > close.score


def test_long_module_level_runs_come_in_chunks():
    definitions = outline_file("def f():\n    pass\n", "python").definitions
    runs = module_code([(d.start, d.end) for d in definitions], 2 + 2 * CHUNK_LINES + 5)
    assert runs[0] == (3, 2 + CHUNK_LINES)
    assert runs[-1][1] == 2 + 2 * CHUNK_LINES + 5
    assert all(end - start + 1 <= CHUNK_LINES for start, end in runs)


def test_a_file_nothing_parses_is_cut_into_chunks():
    text = "\n".join(["((( not code"] * (CHUNK_LINES + 10))
    lines = split_lines(text)
    units = file_units(outline_file(text, None), lines, read_issue("not code", []), "x.txt")
    assert [(u.start, u.end) for u in units] == [
        (1, CHUNK_LINES),
        (CHUNK_LINES + 1, CHUNK_LINES + 10),
    ]


def test_a_term_rare_in_the_file_that_the_issue_repeats_outweighs_common_ones():
    # "attrs", "coords" and "dataset" are in every function, "reindex" only in one, and the
    # issue is about it. Counting distinct terms would prefer a function with the common three.
    functions = [
        f"def step_{n}(dataset, attrs, coords):\n    return dataset.merge(attrs, coords)\n"
        for n in range(6)
    ]
    functions.insert(3, "def pick(cond, left, right):\n    return reindex(cond, left, right)\n")
    text = "\n\n".join(functions)
    issue = (
        "reindex drops attributes\n"
        "Calling reindex on a dataset loses the coords attrs. reindex should keep them: "
        "the result of reindex has none."
    )
    units, lines = _units(text, issue)
    best = max(units, key=lambda unit: unit.score)
    assert lines[best.start - 1] == "def pick(cond, left, right):"


def test_a_definition_takes_the_blank_lines_that_separate_it_from_what_follows():
    # A fix appending to helper() inserts after its last line: the blank lines are the
    # insertion point, and they come with the function instead of a scoreless unit.
    units, lines = _units(SOURCE, "helper returns the wrong RETRY_LIMIT")
    helper = next(u for u in units if lines[u.start - 1] == "def helper():")
    assert lines[helper.start - 1 : helper.end] == ["def helper():", "    return RETRY_LIMIT", "", ""]
    fetch = next(u for u in units if lines[u.start - 1].strip().startswith("def fetch"))
    assert lines[fetch.end - 1] == ""  # one blank line before the next method
    assert lines[fetch.end] == "    def close(self):"
    assert not any(u.start > helper.start and u.start <= helper.end for u in units)
