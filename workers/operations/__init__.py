"""Operations: what keeps the app observable and alive, apart from any one job.

Owns the Prometheus metrics and their per-worker HTTP server (`metrics`, `metrics_server`),
JSON logs with job and delivery ids and secret redaction (`logcontext`), Celery beat's periodic
tasks (`periodic`), the redelivery of deliveries GitHub failed to hand us (`redelivery`) and the
embedded Redis server that `make run` starts (`redis_server`). In: settings, a Redis client, a
GitHub App client for redelivery. Out: counters, log lines, a Redis URL. It imports no pipeline
stage.
"""
