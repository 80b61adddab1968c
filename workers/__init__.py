"""iquest-autofix workers: settings, jobs, triggers, the Celery app, adapters and the fix pipeline."""
