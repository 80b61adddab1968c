"""Token estimates for packing: one measured count calibrates a local proxy of every piece.

vLLM's `/tokenize` takes one prompt per request, so counting each candidate slice there
costs a round trip each. Instead the candidate files are measured once, together, and every
other count is estimated from that, by two proxies calibrated on it: the text's length, and
the number of pieces a BPE pre-tokenizer would at least cut it into (letter runs, digit
groups, each other symbol, line breaks) — a file of numbers and brackets has many more
tokens per character than one of long identifiers, which its length alone does not show.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from workers.model.port import Tokenizer

# Estimates carry this much headroom; the joined result is measured exactly anyway.
ESTIMATE_HEADROOM = 1.1
# What the one measuring request may carry: a prefix of each text, so huge files still
# make a bounded request.
SAMPLE_CHARS = 200_000
# A numbered line in the prompt ("   123\t" and its line break): pieces and characters added
# (its number is one piece per three digits, so lines past 999 add one more).
LINE_OVERHEAD = (2, 8)

_PIECE = re.compile(r"[A-Za-z]+|\d{1,3}|[^\sA-Za-z\d]|\n")


def count_pieces(text: str) -> int:
    return sum(1 for _ in _PIECE.finditer(text))


def number_pieces(n: int) -> int:
    """Pieces line `n`'s number and line break add to the prompt."""
    return LINE_OVERHEAD[0] + (n > 999) + (n > 999_999)


def line_sizes(lines: Sequence[str]) -> list[tuple[int, int]]:
    """(pieces, characters) of each line, for estimating any choice of lines."""
    return [(count_pieces(line), len(line)) for line in lines]


class TokenEstimate:
    """Tokens per proxy piece and per character, as measured on one sample.

    An estimate takes the larger of the two: tokenizers differ in which one a file's density
    follows (a byte-level BPE splits long identifiers into many tokens, an estimate from
    bytes does not), and an estimate that falls short costs a file at assembly.
    """

    def __init__(self, per_piece: float = 1.0, per_char: float = 1.0):
        self.per_piece = per_piece
        self.per_char = per_char

    @classmethod
    def measured(cls, tokenizer: Tokenizer, texts: Sequence[str]) -> TokenEstimate:
        """One request: the texts joined by line breaks (a prefix of each when large)."""
        texts = [text for text in texts if text]
        if not texts:
            return cls()
        share = max(1, SAMPLE_CHARS // len(texts))
        sample = "\n".join(text[:share] for text in texts)
        return cls.from_count(tokenizer.count_tokens(sample), sample)

    @classmethod
    def from_count(cls, tokens: int, text: str) -> TokenEstimate:
        """The ratios of one text whose tokens are known."""
        tokens = max(tokens, 1)
        return cls(tokens / max(count_pieces(text), 1), tokens / max(len(text), 1))

    def of(self, text: str) -> int:
        return self._tokens(count_pieces(text), len(text))

    def of_lines(self, sizes: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]]) -> int:
        """Numbered lines `spans` (1-based, inclusive) of a file whose lines have these sizes."""
        pieces = chars = 0
        for start, end in spans:
            for n in range(start, end + 1):
                pieces += sizes[n - 1][0] + number_pieces(n)
                chars += sizes[n - 1][1] + LINE_OVERHEAD[1]
        return self._tokens(pieces, chars)

    def _tokens(self, pieces: int, chars: int) -> int:
        return math.ceil(max(pieces * self.per_piece, chars * self.per_char) * ESTIMATE_HEADROOM)
