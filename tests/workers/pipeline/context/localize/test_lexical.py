from workers.pipeline.context.localize.lexical import TermIndex, build_query, count_terms


def test_identifiers_are_split_at_case_and_underscores():
    counts, length = count_terms("HTTPServerError get_user_name parseURL2 get")
    assert counts == {
        "http": 1,
        "server": 1,
        "error": 1,
        "get": 2,
        "user": 1,
        "name": 1,
        "parse": 1,
        "url": 1,
    }
    assert length == 9


def test_queries_drop_stop_words_numbers_and_single_letters():
    query = build_query("The parser fails on x when reading 42 YAML files")
    assert set(query) == {"parser", "fails", "reading", "yaml", "files"}


def test_bm25_prefers_the_document_that_matches_rare_terms():
    query = build_query("timezone conversion is off by one hour")
    index = TermIndex(set(query))
    index.add("time.py", "def convert_timezone(t): return shift_hour(t) # timezone conversion")
    index.add("util.py", "def one(): return 1  # one more one")
    index.add("empty.py", "")
    scores = index.score(query)
    assert scores["time.py"] > scores.get("util.py", 0.0)
    assert "empty.py" not in scores
    assert TermIndex(set()).score(query) == {}
