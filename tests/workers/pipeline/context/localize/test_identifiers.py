from workers.pipeline.context.localize.identifiers import (
    TITLE_WEIGHT,
    extract_identifiers,
    extract_joined_words,
    is_code_shaped,
    normalize_name,
)


def test_code_shapes_are_told_from_words():
    assert is_code_shaped("parse_config")
    assert is_code_shaped("HttpClient")
    assert is_code_shaped("_private")
    assert not is_code_shaped("Parser")
    assert not is_code_shaped("config")


def test_names_in_the_title_weigh_most_and_prose_words_not_at_all():
    issue = "read_frame() drops the index\nWhen I call the reader it fails, see `Loader`."
    weights = extract_identifiers(issue)
    assert weights["read_frame"] == TITLE_WEIGHT
    assert weights["Loader"] == 1.0
    assert "reader" not in weights and "fails" not in weights


def test_code_blocks_count_called_names_fully_and_comments_not_at_all():
    issue = """Bug
```python
# the commentword is ignored
result = compute_total(items)
total.normalize()
counter = 3
```
"""
    weights = extract_identifiers(issue)
    assert weights["compute_total"] == 1.0
    assert weights["normalize"] == 1.0
    assert weights["counter"] < 1.0
    assert "commentword" not in weights


def test_traceback_functions_count_but_not_the_interpreter_s_own():
    issue = """Crash
Traceback (most recent call last):
  File "/usr/lib/python3.10/argparse.py", line 1870, in parse_known_args
  File "/srv/app/pkg/loader.py", line 3, in load_table
KeyError: 'missing_key'
"""
    weights = extract_identifiers(issue)
    assert weights["load_table"] >= 1.0
    assert "parse_known_args" not in weights


def test_urls_are_not_identifiers_and_empty_text_gives_nothing():
    assert extract_identifiers("") == {}
    assert "github" not in extract_identifiers("See https://github.com/a/b/issues/1 please")


def test_joined_words_meet_folded_identifiers():
    joined = extract_joined_words("The pretty print output is wrong")
    assert normalize_name("pretty_print") in joined
    assert normalize_name("PrettyPrint") == "prettyprint"
