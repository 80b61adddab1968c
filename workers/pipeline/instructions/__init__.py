"""Instructions: the guidance a repository keeps for coding agents, read from the fixed commit.

In: the snapshot tree, the paths the model is shown (and edits), the `instructions:` setting.
Out: `Guidance` — the files found (root `AGENTS.md`, the nearest `AGENTS.md` above each path,
`.github/instructions/*.instructions.md` whose `applyTo` matches, `.github/copilot-instructions.md`,
`CLAUDE.md`), nearest first, capped in tokens. Their text is untrusted: the prompt fences it as
data, and nothing in it is ever run (test commands reach verification only through settings).
"""

from workers.pipeline.instructions.discover import (
    Guidance,
    GuidanceFile,
    GuidanceSettings,
    read_guidance,
)
from workers.pipeline.instructions.globs import glob_matches

__all__ = ["Guidance", "GuidanceFile", "GuidanceSettings", "glob_matches", "read_guidance"]
