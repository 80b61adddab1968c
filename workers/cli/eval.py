"""`iquest eval`: the resolve rate of fixes over SWE-bench-format instances, judged the way
SWE-bench judges them; `iquest eval mine` makes such instances from a repository's history."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_USAGE = 2


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "eval",
        help="measure the resolve rate over SWE-bench-format instances (or `eval mine` them)",
        description=(
            "Judge predictions (a SWE-bench predictions JSONL, `gold`, `empty`, or, without "
            "--predictions, the app's own pipeline with the configured model) on each instance: "
            "apply the prediction, then the test patch, run FAIL_TO_PASS and PASS_TO_PASS offline "
            "in the sandbox; resolved when all pass. Writes results.jsonl, predictions.jsonl, "
            "report.md and report.json under --out; a rerun resumes. "
            "`iquest eval mine --repo OWNER/NAME --out FILE` mines instances from the "
            "repository's merged fixes. See docs/eval.md."
        ),
    )
    parser.add_argument("action", nargs="?", choices=["mine"], help="mine: make instances")
    parser.add_argument("--instances", type=Path, help="SWE-bench instances (JSONL)")
    parser.add_argument("--repos-dir", type=Path,
                        help="git directories laid out OWNER+NAME/repo or OWNER/NAME")
    parser.add_argument("--out", type=Path, help="output folder (mine: the instances file)")
    parser.add_argument("--jobs", type=int, default=1, help="instances judged at once")
    parser.add_argument("--limit", type=int, help="the first N instances only")
    parser.add_argument("--instance-ids", nargs="+", default=[], metavar="ID")
    parser.add_argument("--predictions", help="FILE.jsonl, gold or empty (none: the pipeline)")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds for one instance's test run (default 1800)")
    parser.add_argument("--repo", help="mine: OWNER/NAME")
    parser.add_argument("--since", help="mine: only commits after this date (YYYY-MM-DD)")
    parser.add_argument("--until", help="mine: only commits before this date")
    parser.add_argument("--version", help="mine: SWE-bench's version of the repository for these "
                        "commits (its per-version spec builds the environment)")
    parser.add_argument("--max-commits", type=int, default=200,
                        help="mine: candidate commits examined at most (default 200)")


def _say(message: str) -> None:
    print(f"iquest eval: {message}", file=sys.stderr, flush=True)


def _sandbox(settings):  # type: ignore[no-untyped-def]
    from workers.sandbox.select import SandboxBackend, build_sandbox

    return build_sandbox(SandboxBackend(settings.sandbox), settings.data_dir / "sandbox")


def _snapshots(settings, repos: set[str]):  # type: ignore[no-untyped-def]
    """GitHub's tarball through the snapshot cache, when a token is configured."""
    from workers.github.client import GitHubRepoClient
    from workers.github.retry import CappedRetry
    from workers.pipeline.context.snapshot import SnapshotCache

    token = settings.github_token.get_secret_value().strip() if settings.github_token else ""
    if not token:
        return None
    retry = CappedRetry(settings.github_max_retries, settings.github_retry_base_seconds,
                        settings.github_max_wait_seconds)

    def fetch(owner: str, name: str, sha: str) -> bytes:
        client = GitHubRepoClient(f"{owner}/{name}", token, settings.github_api_url, retry)
        try:
            return client.download_tarball(sha)
        finally:
            client.close()

    return SnapshotCache(settings.data_dir / "snapshots", fetch_tarball=fetch)


def _predictor(settings, sandbox):  # type: ignore[no-untyped-def]
    from workers.evaluation.instances import Prediction
    from workers.evaluation.predict import predict
    from workers.handlers.context import VerifyServices
    from workers.model.from_settings import model_from_settings, tokenizer_from_settings
    from workers.sandbox.port import Limits

    model = model_from_settings(settings)
    tokenizer = tokenizer_from_settings(settings)
    from workers.environments.from_settings import index_from_settings
    from workers.evaluation.environments_select import environment_cache

    # The app's own verification as a worker runs it: the repository's derived environment.
    verification = VerifyServices(
        sandbox,
        Limits(wall_seconds=settings.sandbox_timeout_seconds,
               memory_bytes=settings.sandbox_memory_mb << 20,
               max_processes=settings.sandbox_max_processes,
               max_output_bytes=settings.sandbox_max_output_bytes),
        None,
        environments=environment_cache(settings, sandbox),
        index=index_from_settings(settings),
    )
    name = f"iquest-autofix:{settings.model}"
    # Scored as the workers run it: IQUEST_CONTEXT_NARROWING on or off (docs/context.md).
    narrow_tokens = settings.context_narrowing_tokens if settings.context_narrowing else 0

    def run(tree: Path, instance):  # type: ignore[no-untyped-def]
        result = predict(tree, instance.repo, instance.problem_statement, model, tokenizer,
                         settings.model_context_tokens, verification,
                         progress=lambda m: _say(f"{instance.instance_id}: {m}"),
                         narrow_tokens=narrow_tokens)
        extra = {
            "app_verdict": result.app_verdict, "app_verification": result.app_verification,
            "pipeline_status": result.status,
            "pipeline_reason": result.reason, "prompt_tokens": result.prompt_tokens,
            "completion_tokens": result.completion_tokens, "model_seconds": result.model_seconds,
            "model_calls": result.model_calls,
        }
        return Prediction(instance.instance_id, name, result.patch), extra

    return run, name


def run(args: argparse.Namespace) -> int:
    from workers.config import Settings
    from workers.evaluation.instances import InstanceError, load_instances, load_predictions, select

    if args.action == "mine":
        from workers.cli.eval_mine import run_mine

        return run_mine(args, _say)
    if args.instances is None or args.out is None:
        _say("--instances and --out are required")
        return EXIT_USAGE
    if args.repos_dir is not None and not args.repos_dir.is_dir():
        _say(f"--repos-dir {args.repos_dir} is not a folder")
        return EXIT_USAGE
    if args.jobs < 1 or (args.limit is not None and args.limit < 1) or args.timeout <= 0:
        _say("--jobs, --limit and --timeout must be positive")
        return EXIT_USAGE
    try:
        instances = select(load_instances(args.instances), args.instance_ids, args.limit)
        predictions = load_predictions(args.predictions, instances) if args.predictions else []
    except (InstanceError, OSError) as error:
        _say(str(error))
        return EXIT_USAGE
    from workers.evaluation.environments_select import environments_for
    from workers.evaluation.report import render_markdown, write_report
    from workers.evaluation.runner import EvalSetup, evaluate

    settings = Settings()
    sandbox = _sandbox(settings)
    if not sandbox.available:
        _say(f"no sandbox, so no test can run: {sandbox.reason}")
        return EXIT_USAGE
    setup = EvalSetup(
        out=args.out, sandbox=sandbox, environments=environments_for(settings, sandbox),
        timeout=args.timeout, repos_dir=args.repos_dir,
        snapshots=_snapshots(settings, {i.repo for i in instances}),
        scratch=settings.data_dir / "eval-scratch", progress=_say,
    )
    setup.scratch.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
    if args.predictions:
        evaluate(instances, setup, predictions=predictions, jobs=args.jobs)
    else:
        predictor, name = _predictor(settings, sandbox)
        evaluate(instances, setup, predictor=predictor, predictor_name=name, jobs=args.jobs)
    summary = write_report(args.out)
    sys.stdout.write(render_markdown(summary))
    return EXIT_OK
