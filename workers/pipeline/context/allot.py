"""How the edit budget is shared among the candidate files: one greedy over all their units.

Localization's order is uncertain (the file the fix edits is often second or fifth), and so
is the order of a file's units. Each unit gets the chance that it holds the fix,
1/(file rank+1)**file_decay x 1/(its rank in its file+1)**unit_decay, and units are taken
by chance per token (plus `smooth` tokens, so three-line helpers do not crowd out the
functions around them) while the budget lasts. The best units of the fifth file come before
the weakest of the first; a file whose whole block then fits in what is left is shown whole.
A file's first unit also pays for its header and imports.

The decays were chosen by leave-one-repository-out over the context dev set
(`bench/context_loro.py`, docs/context.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """One ranked file as the greedy sees it, in estimated tokens."""

    head: int  # the block's path line and the file's imports
    whole: int  # the whole file's block
    units: tuple[int, ...]  # each relevant unit's cost, most relevant first


@dataclass(frozen=True)
class Decays:
    file: float = 2.0
    unit: float = 1.3
    smooth: int = 200


def allot(candidates: Sequence[Candidate], budget: int, decays: Decays = Decays()) -> list[int]:
    """Each candidate's allowance (0: not shown); their sum never exceeds budget."""
    items = []
    for rank, candidate in enumerate(candidates):
        prior = 1.0 / (rank + 1) ** decays.file
        for order, cost in enumerate(candidate.units):
            chance = prior / (order + 1) ** decays.unit
            items.append((chance / (cost + decays.smooth), rank, order, cost))
    items.sort(key=lambda item: (-item[0], item[1], item[2]))
    shares = [0] * len(candidates)
    used = 0
    for _, rank, _, cost in items:
        extra = cost + (0 if shares[rank] else candidates[rank].head)
        if used + extra <= budget and shares[rank] + extra <= candidates[rank].whole:
            shares[rank] += extra
            used += extra
    for rank, share in enumerate(shares):
        missing = candidates[rank].whole - share
        if share and missing <= budget - used:
            shares[rank] += missing
            used += missing
    return shares
