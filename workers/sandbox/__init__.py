"""Running a repository's own code (its tests) where it can reach nothing of the worker's.

`port` is what the pipeline sees; `bwrap` runs commands under bubblewrap; `none` is the
backend of a machine without it (nothing runs, and the verdict says so); `process` runs one
process tree with a deadline and an output cap; `cgroup` adds a memory and pids limit where
cgroup v2 allows; `select` picks the backend at start-up.
"""
