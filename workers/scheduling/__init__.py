"""Scheduling: which job runs when, and how long it may hold what it holds.

Owns the waiting lines (`lines`: priority, then installations in turn), the per-installation
and per-user quotas (`quotas`), the per-target lease that keeps two jobs off one issue or pull
request (`target_lock`) and the cancel flags a running job checks before each write
(`cancel_flags`). In: job ids and their installation, priority and target, a Redis client.
Out: the next job to run, a refusal with its reason, a lease, a flag. It imports no pipeline
stage and no handler: what a job *does* is not its business.
"""
