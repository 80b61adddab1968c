"""Lexical retrieval: identifier-splitting tokenization and Okapi BM25 scored for one query."""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict

# Subwords of identifiers: "HTTPServerError" -> HTTP, Server, Error; "get_user2" -> get, user, 2.
_SUBWORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
# Documents are first cut into runs of letters, three times faster than splitting subwords
# directly; each distinct run is then split once (cached), since runs repeat across a tree.
_LETTERS = re.compile(r"[A-Za-z]+")
STOPWORDS = frozenset(
    re.findall(
        r"\S+",
        """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each else few for
from further had has have having he her here hers him his how i if in into is it its itself
just me might more most must my no nor not now of off on once only or other our out over own
same she should so some such than that the their them then there these they this those
through to too under until up very was we were what when where which while who whom why will
with would you your yours get got use used using want wants like need needs seem seems way
def self cls return import none true false class elif pass raise try except finally lambda
yield async await var let const new null undefined function func fn pub mut void int str
bool dict list tuple object print e g ie eg etc thanks please hi hello issue bug expected
actual work works working thing something example code version file line error
""",
    )
)
MIN_TOKEN_LENGTH = 2
K1 = 1.2
B = 0.75


def count_terms(text: str) -> tuple[Counter[str], int]:
    """Lower-cased subword counts of a text's words and its length in subwords (digits aside)."""
    folded: Counter[str] = Counter()
    length = 0
    for run, count in Counter(_LETTERS.findall(text)).items():
        parts = _split_run(run)
        length += len(parts) * count
        for part in parts:
            folded[part] += count
    return folded, length


@functools.lru_cache(maxsize=1 << 17)
def _split_run(run: str) -> tuple[str, ...]:
    if run.islower():
        return (run,)
    return tuple(part.lower() for part in _SUBWORD.findall(run))


def build_query(text: str) -> Counter[str]:
    """Query terms of an issue: subwords minus stop words, numbers and single letters."""
    tokens = (t.lower() for t in _SUBWORD.findall(text))
    return Counter(
        t for t in tokens if len(t) >= MIN_TOKEN_LENGTH and not t.isdigit() and t not in STOPWORDS
    )


class TermIndex:
    """BM25 statistics restricted to the terms of a few queries, so a large tree costs one scan."""

    def __init__(self, terms: set[str]):
        self.terms = terms
        self.doc_terms: dict[str, dict[str, int]] = {}
        self.doc_length: dict[str, int] = {}
        self.doc_freq: Counter[str] = Counter()

    def add(self, doc_id: str, text: str) -> None:
        """Count the wanted terms in one document."""
        counts, length = count_terms(text)
        hits = {term: counts[term] for term in self.terms if term in counts}
        self.doc_terms[doc_id] = hits
        self.doc_length[doc_id] = length
        self.doc_freq.update(hits.keys())

    def score(self, query: Counter[str]) -> dict[str, float]:
        """Okapi BM25 of every document with at least one of the query's terms.

        A term counts as often as the query repeats it (BM25's query-term frequency with
        k3 -> infinity, as search engines that treat the query as a document do): an issue
        says what it is about many times, and a word it uses once in passing ("thumbs",
        "eventually") should not weigh as much as the subject it keeps coming back to.
        """
        total = len(self.doc_length)
        if not total:
            return {}
        average = max(1.0, sum(self.doc_length.values()) / total)
        weight = {
            term: query[term] * math.log(1.0 + (total - df + 0.5) / (df + 0.5))
            for term, df in self.doc_freq.items()
            if term in query
        }
        scores: dict[str, float] = defaultdict(float)
        for doc_id, hits in self.doc_terms.items():
            norm = K1 * (1.0 - B + B * self.doc_length[doc_id] / average)
            for term, tf in hits.items():
                if term in weight:
                    scores[doc_id] += weight[term] * tf * (K1 + 1.0) / (tf + norm)
        return dict(scores)
