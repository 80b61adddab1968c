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


def test_a_term_the_issue_keeps_repeating_outweighs_one_used_in_passing():
    # Both terms are equally rare in the tree; the issue is about "cache", not "thumbs".
    query = build_query(
        "Cache not cleared\nThe cache keeps stale entries. Clearing the cache does not empty "
        "the cache. Thumbs up if you see it too."
    )
    assert query["cache"] == 4 and query["thumbs"] == 1
    index = TermIndex(set(query))
    index.add("store.py", "def cache_lookup(key): return CACHE[key]")
    index.add("poll.py", "def thumbs_count(votes): return len(votes)")
    for filler in range(4):
        index.add(f"other{filler}.py", "def unrelated(value): return value")
    scores = index.score(query)
    assert scores["store.py"] > 2 * scores["poll.py"]
