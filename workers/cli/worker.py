"""`iquest worker`: a Celery worker for the app's queues (only the GitHub-free one without App credentials)."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("worker", help="run a Celery worker for the app's queues")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--pool", default="prefork", choices=["prefork", "solo", "threads"])
    parser.add_argument("--loglevel", default=None, help="default: IQUEST_LOG_LEVEL")
    parser.add_argument(
        "--events", action="store_true",
        help="send task events (what Flower shows as tasks); off by default",
    )


def describe_capabilities(base_queue: str, has_app_credentials: bool) -> str:
    """What this worker will and will not run, said once at start-up."""
    from workers.intake.queues import github_queues, queues_to_consume

    consumed = ", ".join(queues_to_consume(base_queue, has_app_credentials))
    if has_app_credentials:
        return f"iquest worker: serving every job (queues {consumed})."
    waiting = ", ".join(github_queues(base_queue))
    return (
        "iquest worker: no GitHub App credentials (IQUEST_APP_ID and IQUEST_PRIVATE_KEY or "
        f"IQUEST_PRIVATE_KEY_FILE), so this worker serves only POST /repair jobs (queue "
        f"{consumed}). GitHub jobs (labels, /iquest commands, reviews, CI follow-ups) stay "
        f"queued in {waiting} until a worker with the App's credentials starts."
    )


def run(args: argparse.Namespace) -> int:
    import contextlib
    import logging
    import os
    from functools import cache

    # Read by billiard when Celery's worker modules are imported, so set before them: SIGTERM
    # (docker stop, a Kubernetes rollout, KEDA scaling down) becomes Celery's cold shutdown,
    # bounded by worker_soft_shutdown_timeout, instead of a warm one that waits for every
    # running job however long it takes.
    os.environ.setdefault("REMAP_SIGTERM", "SIGQUIT")

    # Before anything imports prometheus_client: it picks multiprocess mode at import.
    from workers.operations.metrics_server import prepare_multiprocess_dir

    metrics_dir, created = prepare_multiprocess_dir()

    from celery.signals import worker_process_shutdown

    from workers.celery_app import create_celery
    from workers.cli.logs import start_long_running
    from workers.config import LogFormat
    from workers.intake.queues import worker_queues
    from workers.operations.metrics_server import (
        mark_this_process_dead,
        remove_dir,
        serve_worker_metrics,
    )
    from workers.operations.periodic import register_periodic_tasks
    from workers.operations.redis_server import resolve_redis
    from workers.runtime import Runtime
    from workers.tasks import register_tasks

    settings = start_long_running("worker", "check_worker_credentials")
    if settings is None:
        return 2
    with_github = settings.app_credentials_given()
    # A log line, not a print: with JSON logs every line on stderr must parse.
    logging.getLogger("iquest.worker").info(describe_capabilities(settings.queue_name, with_github))
    endpoint = resolve_redis(settings.redis_url, settings.data_dir)
    app = create_celery(settings, endpoint.url)
    if args.events:
        app.conf.worker_send_task_events = True
    # Built on first use inside each worker process, after the fork.
    runtime = cache(lambda: Runtime.build(settings, endpoint.url, with_github=with_github))
    register_tasks(app, runtime)
    # Periodic tasks are published to the GitHub queue, so only a worker with credentials runs them.
    register_periodic_tasks(app, runtime)
    worker_process_shutdown.connect(lambda **kwargs: mark_this_process_dead(), weak=False)
    try:
        with contextlib.ExitStack() as stack:
            if settings.worker_metrics_port:
                try:
                    stack.enter_context(serve_worker_metrics(
                        metrics_dir, settings.worker_metrics_host, settings.worker_metrics_port,
                        # Only the default may move: a port the operator set is scraped there.
                        any_port_if_taken="worker_metrics_port" not in settings.model_fields_set,
                    ))
                except OSError as error:
                    print(
                        f"iquest worker: cannot serve metrics on {settings.worker_metrics_host}:"
                        f"{settings.worker_metrics_port} ({error.strerror}); set "
                        "IQUEST_WORKER_METRICS_PORT to a free port, or 0 to turn it off.",
                        file=sys.stderr,
                    )
                    return 2
            app.Worker(
                queues=worker_queues(settings.queue_name, with_github),
                concurrency=args.concurrency,
                pool=args.pool,
                loglevel=args.loglevel or settings.log_level,
                without_gossip=True,
                without_mingle=True,
                without_heartbeat=not args.events,
                # The banner is not a log line; with JSON logs every line must parse.
                quiet=settings.log_format is LogFormat.JSON,
            ).start()
    finally:
        endpoint.stop()
        if created:
            remove_dir(metrics_dir)
    return 0
