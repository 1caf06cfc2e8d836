"""Command line: parse arguments, call the pipeline stages, map errors to exit codes."""

from __future__ import annotations

import functools
import json
import os
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from evalspec import __version__
from evalspec.errors import EXIT_INFRA, EXIT_INTERRUPTED, EXIT_USAGE, EvalspecError, SpecError

if TYPE_CHECKING:
    from evalspec.report import Reports

F = TypeVar("F", bound=Callable[..., Any])
DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
# the export formats (evalspec.export.FORMATS, named here so `--help` imports nothing heavy)
EXPORT_FORMATS = ["csv", "parquet", "jsonl", "prometheus", "mlflow"]

# the user's own vLLM log level, read before main() sets its quiet default
_USER_VLLM_LOGGING = os.environ.get("VLLM_LOGGING_LEVEL")


def _user_errors(func: F) -> F:
    """One sentence and the contract's exit code for every error meant for users."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EvalspecError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            _interrupted()
        except click.Abort as exc:  # Ctrl-C at a prompt
            if isinstance(exc.__context__, KeyboardInterrupt):
                _interrupted()
            raise

    return wrapper  # type: ignore[return-value]


def _interrupted() -> NoReturn:
    """Ctrl-C / SIGINT: not a verdict, so not exit 1 (a regression) but 130 (128 + SIGINT)."""
    click.echo("\nerror: interrupted", err=True)
    sys.exit(EXIT_INTERRUPTED)


runs_dir_option = click.option(
    "--runs-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where run directories live (default: $EVALSPEC_RUNS_DIR or ./runs).",
)
history_option = click.option(
    "--history",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="History index (default: $EVALSPEC_HISTORY, else history.sqlite in the cache dir).",
)
limit_option = click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Samples per task (overrides mode)."
)


def target_options(func: F) -> F:
    """--model, --task, --adapter (repeatable globs) and --mode: run part of a spec."""
    for option in reversed(
        [
            click.option(
                "--model",
                "models",
                multiple=True,
                metavar="ID",
                help="Only these models (glob; repeatable).",
            ),
            click.option(
                "--task",
                "tasks",
                multiple=True,
                metavar="ID",
                help="Only these tasks (glob; repeatable).",
            ),
            click.option(
                "--adapter",
                "adapters",
                multiple=True,
                metavar="ID",
                help="Only these adapters (glob; repeatable; '-' is the base model).",
            ),
            click.option(
                "--mode",
                type=click.Choice(["validate", "quick", "standard", "full"]),
                default=None,
                help="Sample mode instead of the spec's "
                "(validate=5, quick=20, standard=100, full=all).",
            ),
        ]
    ):
        func = option(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evalspec")
def cli() -> None:
    """Declarative regression gate for LLMs."""


@cli.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--spec-only",
    is_flag=True,
    help="Check the files only (spec, catalogs, thresholds, baseline, schema files): "
    "read no dataset and locate no model, for a machine without them.",
)
@_user_errors
def validate(specs: tuple[Path, ...], spec_only: bool) -> None:
    """Validate spec files as `check` would before running: spec, catalogs, thresholds,
    baseline, templates, datasets and plan; no engine is loaded (exit 0 when all are
    valid, 2 otherwise). Model catalog files are validated as catalogs."""
    from evalspec.validating import validate_file

    for path in specs:
        click.echo(validate_file(path, spec_only=spec_only))


@cli.command()
@click.option(
    "--kind",
    type=click.Choice(["spec", "thresholds", "catalog"]),
    default="spec",
    show_default=True,
)
@_user_errors
def schema(kind: str) -> None:
    """Print the JSON Schema of spec, thresholds or model catalog files."""
    from evalspec.spec import json_schema

    click.echo(json.dumps(json_schema(kind), indent=2))


@cli.command()
@click.argument("spec_path", metavar="SPEC", type=click.Path(path_type=Path))
@limit_option
@target_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_user_errors
def plan(spec_path: Path, limit: int | None, as_json: bool, **targeting: Any) -> None:
    """Dry run: the units, their sample counts and hashes, and the engine loads."""
    from evalspec.plan import compile_plan, targets
    from evalspec.report import render_plan
    from evalspec.spec import load_spec

    compiled = compile_plan(load_spec(spec_path), limit=limit, targets=targets(**targeting))
    click.echo(render_plan(compiled, as_json=as_json))


report_md_option = click.option(
    "--report-md", type=click.Path(dir_okay=False, path_type=Path), default=None
)
report_json_option = click.option(
    "--report-json", type=click.Path(dir_okay=False, path_type=Path), default=None
)
junit_option = click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a JUnit XML report (one test case per gate row).",
)


def _emit(
    reports: Reports,
    exit_code: int,
    report_md: Path | None,
    report_json: Path | None,
    junit: Path | None,
) -> NoReturn:
    """Write the requested report files and the GitHub step summary, print, exit.

    The verdict's exit code wins: a report that cannot be written is a warning
    naming its path, never a traceback or another exit code.
    """
    from evalspec.report import write_reports

    for warning in write_reports(
        reports, {"markdown": report_md, "json": report_json, "junit": junit}
    ):
        click.echo(f"evalspec: warning: {warning}", err=True)
    click.echo(reports.markdown)
    sys.exit(exit_code)


@cli.command()
@click.argument("spec_path", metavar="SPEC", type=click.Path(path_type=Path))
@limit_option
@runs_dir_option
@report_md_option
@report_json_option
@junit_option
@target_options
@click.option("--quiet", "-q", is_flag=True, help="Print only the report.")
@click.option(
    "--verbose", "-v", is_flag=True, help="Show the engines' logs (default: the run's engine.log)."
)
@click.option(
    "--no-cache", is_flag=True, help="Neither read nor write the response cache; generate all."
)
@history_option
@click.option(
    "--adaptive",
    is_flag=True,
    help="Samples mode adaptive whatever the spec says: seeded order, stop each task once "
    "its max_drop rules are decided (the spec's adaptive settings, else the defaults).",
)
@click.option(
    "--executor",
    "executor_name",
    type=click.Choice(["local", "ray"]),
    default=None,
    help="local: one engine in this process; ray: engine replicas on every GPU of this "
    "machine or a Ray cluster (default: the spec's run.executor, else local).",
)
@click.option(
    "--ray-address",
    default=None,
    help="Ray cluster to use (auto, ray://HOST:10001, HOST:6379); default $RAY_ADDRESS, "
    "else a local cluster on this machine. Implies --executor ray.",
)
@_user_errors
def check(
    spec_path: Path,
    limit: int | None,
    runs_dir: Path | None,
    report_md: Path | None,
    report_json: Path | None,
    junit: Path | None,
    quiet: bool,
    verbose: bool,
    no_cache: bool,
    history: Path | None,
    adaptive: bool,
    executor_name: str | None,
    ray_address: str | None,
    **targeting: Any,
) -> None:
    """Run a spec, gate it against thresholds and baseline, print the verdict table.

    Progress goes to stderr: live bars on a terminal, a line at most every
    $EVALSPEC_PROGRESS_INTERVAL_S seconds (default 30) elsewhere. What the engines print
    goes to engine.log in the run directory unless --verbose. On GitHub Actions
    ($GITHUB_STEP_SUMMARY set) the report is also appended to the job's step summary.
    Exit codes: 0 pass (warnings allowed), 1 regression, 2 invalid spec or usage,
    3 infrastructure failure.
    """
    from evalspec.checking import run_check
    from evalspec.engines import ENGINE_LOG, log_tail, terminal
    from evalspec.plan import targets
    from evalspec.report.progress import clean, progress_events

    if quiet and verbose:
        raise SpecError("pass at most one of --quiet and --verbose")
    # engine logs go to engine.log (or, --verbose, the terminal): worth their INFO lines
    os.environ["VLLM_LOGGING_LEVEL"] = _USER_VLLM_LOGGING or "INFO"
    stream = terminal()  # our progress: the terminal, also while engine output is captured
    outcome = run_check(
        spec_path,
        limit=limit,
        runs_dir=runs_dir,
        events=progress_events(stream, quiet=quiet, verbose=verbose),
        use_cache=not no_cache,
        history=history,
        targets=targets(**targeting),
        engine_log=not verbose,
        adaptive=adaptive,
        executor_name=executor_name,
        ray_address=ray_address,
    )
    for warning in outcome.warnings:
        stream.write(f"evalspec: warning: {warning}\n")
    if outcome.exit_code == EXIT_INFRA and not verbose and not quiet:
        for line in log_tail(outcome.run_dir / ENGINE_LOG):
            stream.writelines(f"evalspec: {ENGINE_LOG}: {text}\n" for text in clean(line))
    if stream is not sys.stderr:
        stream.close()
    _emit(outcome.reports, outcome.exit_code, report_md, report_json, junit)


@cli.command()
@click.argument("run_a", metavar="RUN_A")
@click.argument("run_b", metavar="RUN_B")
@click.option(
    "--thresholds",
    "thresholds_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Thresholds file (default: the one of RUN_B's spec, when that file is still there).",
)
@runs_dir_option
@report_md_option
@report_json_option
@junit_option
@_user_errors
def diff(
    run_a: str,
    run_b: str,
    thresholds_path: Path | None,
    runs_dir: Path | None,
    report_md: Path | None,
    report_json: Path | None,
    junit: Path | None,
) -> None:
    """Gate run RUN_B against run RUN_A as its baseline (run ids or run directories).

    Same report and exit codes as `check`, without running anything.
    """
    from evalspec.diffing import run_diff

    outcome = run_diff(run_a, run_b, thresholds_path=thresholds_path, runs_dir=runs_dir)
    _emit(outcome.reports, outcome.exit_code, report_md, report_json, junit)


@cli.command()
@click.option("--repo", required=True, help="OWNER/NAME (in Actions: $GITHUB_REPOSITORY).")
@click.option("--pr", type=click.IntRange(min=1), required=True, help="Pull request number.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Markdown report written by `evalspec check --report-md`.",
)
@_user_errors
def comment(repo: str, pr: int, report_path: Path) -> None:
    """Create or update the PR's sticky evalspec comment for the report's spec.

    Token from $GITHUB_TOKEN or $GH_TOKEN; API from $GITHUB_API_URL. Exit 2 on
    usage errors (no token, no report), 3 when GitHub refuses or cannot be reached.
    """
    from evalspec.report.github import GitHubSettings, read_report, upsert_comment

    done = upsert_comment(repo, pr, read_report(report_path), GitHubSettings.from_env())
    click.echo(f"{done.action} comment {done.comment_id}" + (f": {done.url}" if done.url else ""))


@cli.group()
def baseline() -> None:
    """Show or update a spec's committed baseline."""


@baseline.command("update")
@click.argument("spec_path", metavar="SPEC", type=click.Path(path_type=Path))
@click.option("--run", "run_id", default=None, help="Run id (default: the latest complete run).")
@runs_dir_option
@click.option("--yes", "-y", is_flag=True, help="Write without asking.")
@_user_errors
def baseline_update(spec_path: Path, run_id: str | None, runs_dir: Path | None, yes: bool) -> None:
    """Record a complete run as the spec's baseline (atomic write)."""
    from evalspec.checking import prepare_baseline
    from evalspec.gate import write_baseline

    update = prepare_baseline(spec_path, run_id=run_id, runs_dir=runs_dir)
    click.echo(f"baseline {update.path} from run {update.run_id}:")
    for line in update.changes or ["no changes"]:
        click.echo(f"  {line}")
    if not yes:
        if not sys.stdin.isatty():
            raise SpecError("not a terminal: pass --yes to write the baseline")
        click.confirm("write it?", abort=True)
    write_baseline(update.path, update.baseline)
    click.echo(f"wrote {update.path}")


@baseline.command("show")
@click.argument("spec_path", metavar="SPEC", type=click.Path(path_type=Path))
@_user_errors
def baseline_show(spec_path: Path) -> None:
    """Summarise the spec's baseline: units, metrics ± stderr, n, fingerprint, provenance."""
    from evalspec.checking import show_baseline

    click.echo(show_baseline(spec_path), nl=False)


@cli.group()
def cache() -> None:
    """Inspect or prune the response cache ($EVALSPEC_RESPONSE_CACHE)."""


@cache.command("info")
@_user_errors
def cache_info() -> None:
    """Where the response cache is, its entries and its size."""
    from evalspec.store import ResponseCache, default_cache_path

    with ResponseCache(default_cache_path()) as responses:
        info = responses.info()
    click.echo(f"path: {info.path}")
    click.echo(f"entries: {info.entries}")
    click.echo(f"size: {info.size_bytes / 1e6:.2f} MB")
    for label, stamp in (("oldest", info.oldest), ("newest", info.newest)):
        if stamp is not None:
            when = datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")
            click.echo(f"{label}: {when}")


@cache.command("prune")
@click.option(
    "--older-than",
    "days",
    type=click.FloatRange(min=0),
    default=None,
    help="Delete entries created more than DAYS days ago.",
)
@click.option("--all", "everything", is_flag=True, help="Delete every entry.")
@_user_errors
def cache_prune(days: float | None, everything: bool) -> None:
    """Delete response cache entries (--older-than DAYS or --all)."""
    from evalspec.errors import InfraError
    from evalspec.store import ResponseCache, default_cache_path
    from evalspec.store.cache import remove_cache_files

    if (days is None) == (not everything):
        raise SpecError("pass exactly one of --older-than DAYS and --all")
    path = default_cache_path()
    try:
        responses = ResponseCache(path)
    except InfraError as exc:
        if not everything:
            raise
        remove_cache_files(path)  # too damaged to open: --all rebuilds it from nothing
        click.echo(f"removed the unreadable cache ({exc})")
        responses = ResponseCache(path)
    with responses:
        deleted = responses.prune(None if everything else days)
        left = responses.info().entries
    click.echo(f"deleted {deleted} entries, {left} left")


class _DefaultCommandGroup(click.Group):
    """A group whose first argument, when it names no subcommand, goes to `default`."""

    default = "show"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


@cli.group(cls=_DefaultCommandGroup)
def history() -> None:
    """Every check over time: `history SPEC` (a table or --chart), `history import DIR...`."""


@history.command("show")
@click.argument("spec_ref", metavar="SPEC")
@click.option("--model", "models", multiple=True, help="Model (or model+adapter) glob; repeatable.")
@click.option("--task", "tasks", multiple=True, help="Task glob; repeatable.")
@click.option("--metric", "metrics", multiple=True, help="Metric glob; repeatable.")
@click.option(
    "--last", type=click.IntRange(min=0), default=20, show_default=True, help="Runs; 0: all."
)
@click.option("--since", type=click.DateTime(DATE_FORMATS), default=None, help="UTC date[time].")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also draw the trend to FILE.png or FILE.svg.",
)
@history_option
@_user_errors
def history_show(
    spec_ref: str,
    models: tuple[str, ...],
    tasks: tuple[str, ...],
    metrics: tuple[str, ...],
    last: int,
    since: datetime | None,
    chart: Path | None,
    history: Path | None,
) -> None:
    """The metrics of SPEC's last runs (SPEC: a spec file or a spec name), oldest first."""
    from rich.console import Console

    from evalspec.history import HistoryQuery, default_history_path, show_history, spec_name

    query = HistoryQuery(spec_name(spec_ref), models, tasks, metrics, last or None, since)
    view = show_history(query, history or default_history_path(), chart)
    if not view.rows:
        click.echo(
            f"no runs of spec '{query.spec}' match in {view.path} "
            f"({view.indexed} of its runs indexed)",
            err=True,
        )
        return
    Console(width=None if sys.stdout.isatty() else 160).print(view.table)
    if view.chart is not None:
        click.echo(f"chart: {view.chart.path} ({len(view.chart.series)} series)", err=True)


@history.command("import")
@click.argument("dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@history_option
@_user_errors
def history_import(dirs: tuple[Path, ...], history: Path | None) -> None:
    """Index run directories (or folders of them, e.g. CI artifacts); idempotent.

    Exit 2 when a run directory could not be read (the others are indexed)."""
    from evalspec.history import default_history_path
    from evalspec.history.importing import import_runs

    summary = import_runs(dirs, history or default_history_path())
    for line in summary.skipped:
        click.echo(f"skipped {line}", err=True)
    for line in summary.damaged:
        click.echo(f"error: {line}", err=True)
    click.echo(
        f"{summary.path}: {len(summary.indexed)} run(s) indexed, "
        f"{len(summary.already)} already there, {len(summary.skipped)} not finished, "
        f"{len(summary.damaged)} unreadable"
    )
    if summary.damaged:
        sys.exit(EXIT_USAGE)


@cli.command()
@click.argument("run", metavar="RUN", required=False)
@click.option(
    "--history",
    "history",
    is_flag=False,
    flag_value="",
    default=None,
    type=click.Path(dir_okay=False),
    help="Export the history index instead of one run (FILE, else the default index).",
)
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE (default: standard output; parquet needs a file).",
)
@click.option("--samples", is_flag=True, help="One row per sample (csv, parquet, jsonl).")
@click.option("--pushgateway", metavar="URL", default=None, help="Prometheus: push there.")
@click.option("--tracking-uri", default=None, help="MLflow (default: $MLFLOW_TRACKING_URI).")
@click.option("--experiment", default=None, help="MLflow experiment (default: evalspec/SPEC).")
@click.option("--spec", default=None, help="With --history: only this spec's runs.")
@click.option("--since", type=click.DateTime(DATE_FORMATS), default=None, help="With --history.")
@runs_dir_option
@_user_errors
def export(
    run: str | None,
    history: str | None,
    fmt: str,
    output: Path | None,
    samples: bool,
    pushgateway: str | None,
    tracking_uri: str | None,
    experiment: str | None,
    spec: str | None,
    since: datetime | None,
    runs_dir: Path | None,
) -> None:
    """Export RUN (a run id or directory) or the history (--history [FILE]) in a format:
    csv, parquet, jsonl (one row per run, unit and metric), prometheus, mlflow."""
    from evalspec.export import ExportOptions, ExportSource, run_export
    from evalspec.history import default_history_path

    index = None if history is None else Path(history) if history else default_history_path()
    done = run_export(
        ExportSource(run, index, runs_dir, spec, since),
        fmt,
        ExportOptions(output, samples, pushgateway, tracking_uri, experiment),
    )
    if done.text is not None:
        click.echo(done.text, nl=False)
    click.echo(f"evalspec: {done.message}", err=True)


@cli.command()
@click.argument(
    "directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)
@_user_errors
def init(directory: Path) -> None:
    """Scaffold specs/, thresholds/, baselines/ and a gate workflow in DIRECTORY (default .),
    with a first spec on the built-in model that passes `evalspec check` at once. Writes
    nothing if any of its files exists (exit 2)."""
    from evalspec.scaffold import scaffold

    done = scaffold(directory)
    for path in done.created:
        click.echo(f"created {path}")
    click.echo("next:")
    for step in done.next_steps():
        click.echo(f"  {step}")


@cli.command()
@_user_errors
def doctor() -> None:
    """What this machine has for evalspec (versions, GPU, sandbox, caches) and what to do
    about what is missing. Exit 0, or 3 when a problem stops runs here."""
    from evalspec.doctor import diagnose, exit_code, render

    findings = diagnose()
    click.echo(render(findings))
    sys.exit(exit_code(findings))


def main() -> None:
    # vLLM logs at INFO by default; keep CI logs and the report readable
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        _interrupted()
    except Exception:
        # a bug, not a regression: exit 1 would tell CI the model got worse
        traceback.print_exc()
        click.echo("error: internal error (a bug in evalspec; please report it)", err=True)
        sys.exit(EXIT_INFRA)


if __name__ == "__main__":
    main()
