"""`iquest worker`: a Celery worker consuming the app's queue."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("worker", help="run a Celery worker for the app's queue")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--pool", default="prefork", choices=["prefork", "solo", "threads"])
    parser.add_argument("--loglevel", default="INFO")


def run(args: argparse.Namespace) -> int:
    import os

    # Read by billiard when Celery's worker modules are imported, so set before them: SIGTERM
    # (docker stop, a Kubernetes rollout, KEDA scaling down) becomes Celery's cold shutdown,
    # bounded by worker_soft_shutdown_timeout, instead of a warm one that waits for every
    # running job however long it takes.
    os.environ.setdefault("REMAP_SIGTERM", "SIGQUIT")
    from functools import cache

    from workers.celery_app import create_celery
    from workers.cli.logs import start_long_running
    from workers.periodic import register_periodic_tasks
    from workers.redis_server import resolve_redis
    from workers.runtime import Runtime
    from workers.tasks import register_tasks

    settings = start_long_running("worker", "require_app_credentials")
    if settings is None:
        return 2
    endpoint = resolve_redis(settings.redis_url, settings.data_dir)
    app = create_celery(settings, endpoint.url)
    # Built on first use inside each worker process, after the fork.
    runtime = cache(lambda: Runtime.build(settings, endpoint.url))
    register_tasks(app, runtime)
    register_periodic_tasks(app, runtime)
    try:
        app.Worker(
            queues=[settings.queue_name],
            concurrency=args.concurrency,
            pool=args.pool,
            loglevel=args.loglevel,
            without_gossip=True,
            without_mingle=True,
            without_heartbeat=True,
        ).start()
    finally:
        endpoint.stop()
    return 0
