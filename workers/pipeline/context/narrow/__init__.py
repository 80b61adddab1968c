"""Model-assisted narrowing (opt-in): the model reads the repository's structure and names the
files and functions to open, Agentless-style, within a small token budget.

In: the issue's (already sanitized) text, localization's `Localization`, a `ChatModel`.
Out: a `Narrowing` (paths that exist in the tree, function names per path), which
`gather.pack_located` treats as one more piece of evidence: the issue's own mentions stay
first, the model's picks are interleaved with localization's ranking, and the functions it
names count for more when a large file is cut to its relevant parts.
"""

from workers.pipeline.context.narrow.ask import Narrower, Narrowing, merge_ranking

__all__ = ["Narrower", "Narrowing", "merge_ranking"]
