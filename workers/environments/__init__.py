"""Test environments: a repository's dependencies, built once in the sandbox, cached by content.

In: a source tree (files are read, never run on the host), the repository's `environment:`
settings, the interpreters this machine has. Out: an `EnvironmentPlan` (`derive_plan`: what to
install and why, line by line, and its content key), then from `EnvironmentCache.ensure` a
`BuiltEnvironment` (a venv mounted read-only into the sandbox with its interpreter first on
PATH, plus the files the build wrote into the tree) or a `BuildFailure` (the command that failed
and the tail of its log). `plan` and `sources` derive; `interpreters` finds and picks Pythons;
`build` runs uv in the sandbox with the network on; `cache` publishes, indexes, evicts;
`lease` makes one build per key across workers; `mount` is how a run uses a built environment.
"""
