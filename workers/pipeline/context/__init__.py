"""Context: the code the model sees.

In: a repository snapshot (one tarball per commit, `snapshot`) and the issue's text.
Out: `localize` ranks the files with its evidence (`localize.Localization`), and `pack_context`
turns that ranking into the prompt's code section within a token budget (`CodeContext`).
"""

from workers.pipeline.context.localize import Localization, localize, locate_files
from workers.pipeline.context.pack import CodeContext, pack_context
from workers.pipeline.context.snapshot import Snapshot, SnapshotCache, SnapshotError

__all__ = [
    "CodeContext",
    "Localization",
    "Snapshot",
    "SnapshotCache",
    "SnapshotError",
    "locate_files",
    "localize",
    "pack_context",
]
