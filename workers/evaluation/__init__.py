"""`iquest eval`: the resolve rate, measured the way SWE-bench measures it.

What goes in: SWE-bench task instances (JSONL), the repositories (a folder of git
directories, or GitHub's tarball through the snapshot cache), and predictions (a SWE-bench
predictions file, `gold`, `empty`, or none: then the app's own pipeline proposes each fix).
What comes out: one judged row per prediction (`results.jsonl`), the predictions in
SWE-bench's format, and a report (`report.md`, `report.json`).

Modules: `instances` (reading instances and predictions), `checkout` (a tree at the base
commit), `scm_version` (a version for tag-versioned projects without `.git`), `patches`
(applying a diff as SWE-bench does, test files of a patch), `logparse` (per-framework test
logs → per-test status, SWE-bench's grading), `specs` (SWE-bench's per-version install and test
commands, vendored data), `requirements` (a spec's requirements as SWE-bench reads them),
`environment` (the port a judged tree gets its Python and packages through, and the plain
worker-Python backend), `built_env` (that port over `workers/environments`), `judge` (apply,
test patch, run F2P/P2P offline in the sandbox, grade), `predict` (the full pipeline as a
predictor), `runner` (the resumable loop), `report`, `mine` (instances from a repository's
own history).
"""
