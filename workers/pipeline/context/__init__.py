"""Context: the code the model sees.

In: a repository snapshot (one tarball per commit, `snapshot`) and the issue's text.
Out: `locate_files` ranks the files with its evidence (`localize.Localization`), and
`pack_context` turns that ranking into the prompt's code section within a token budget
(`CodeContext`). The `localize` subpackage is not shadowed by a function of the same name, so
`import workers.pipeline.context.localize.rank as rank` works.
"""

from workers.pipeline.context.localize import Localization, locate_files
from workers.pipeline.context.pack import CodeContext, pack_context
from workers.pipeline.context.snapshot import Snapshot, SnapshotCache, SnapshotError

__all__ = [
    "CodeContext",
    "Localization",
    "Snapshot",
    "SnapshotCache",
    "SnapshotError",
    "locate_files",
    "pack_context",
]
