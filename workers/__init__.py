"""iquest-autofix workers: the worker's entry at this level, one package per subsystem below.

Here: the Celery app (`celery_app`), its thin tasks (`tasks`), the job runner that loads a job's
context and hands it to a handler (`jobrunner`), the collaborators built once per process
(`runtime`) and the settings (`config`). Below: `intake` (deliveries → jobs, shared with the
receiver), `scheduling`, `handlers`, `pipeline` (the fix's stages), `environments`, `sandbox`,
`github` and `model` (adapters behind ports), `ledger`, `operations`, `app`, `doctor`,
`evaluation` and `cli`. ARCHITECTURE.md draws how a delivery moves through them.
"""
