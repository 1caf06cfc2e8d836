"""Command line: parse arguments, call the pipeline stages, map errors to exit codes."""

from __future__ import annotations

import functools
import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from evalspec import __version__
from evalspec.errors import EXIT_INFRA, EvalspecError, SpecError

F = TypeVar("F", bound=Callable[..., Any])


def _user_errors(func: F) -> F:
    """One sentence and the contract's exit code for every error meant for users."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EvalspecError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


def _progress(quiet: bool) -> Callable[[str], None]:
    def say(message: str) -> None:
        if not quiet:
            click.echo(f"evalspec: {message}", err=True)

    return say


runs_dir_option = click.option(
    "--runs-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where run directories live (default: $EVALSPEC_RUNS_DIR or ./runs).",
)
limit_option = click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Samples per task (overrides mode)."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evalspec")
def cli() -> None:
    """Declarative regression gate for LLMs."""


@cli.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(path_type=Path))
@_user_errors
def validate(specs: tuple[Path, ...]) -> None:
    """Validate spec files (exit 0 when all are valid, 2 otherwise)."""
    from evalspec.spec import load_spec, load_thresholds

    for path in specs:
        loaded = load_spec(path)
        if loaded.spec.gate.thresholds:
            load_thresholds(loaded.base_dir / loaded.spec.gate.thresholds)
        spec = loaded.spec
        click.echo(f"ok: {path} ({len(spec.models)} models, {len(spec.tasks)} tasks)")


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
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_user_errors
def plan(spec_path: Path, limit: int | None, as_json: bool) -> None:
    """Dry run: the units, their sample counts and hashes, and the engine loads."""
    from evalspec.plan import compile_plan
    from evalspec.report import render_plan
    from evalspec.spec import load_spec

    compiled = compile_plan(load_spec(spec_path), limit=limit)
    click.echo(render_plan(compiled, as_json=as_json))


@cli.command()
@click.argument("spec_path", metavar="SPEC", type=click.Path(path_type=Path))
@limit_option
@runs_dir_option
@click.option("--report-md", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--report-json", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--quiet", "-q", is_flag=True, help="Print only the report.")
@_user_errors
def check(
    spec_path: Path,
    limit: int | None,
    runs_dir: Path | None,
    report_md: Path | None,
    report_json: Path | None,
    quiet: bool,
) -> None:
    """Run a spec, gate it against thresholds and baseline, print the verdict table.

    Exit codes: 0 pass (warnings allowed), 1 regression, 2 invalid spec or usage,
    3 infrastructure failure.
    """
    from evalspec.checking import run_check

    outcome = run_check(spec_path, limit=limit, runs_dir=runs_dir, progress=_progress(quiet))
    for path, text in ((report_md, outcome.markdown), (report_json, outcome.json)):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    click.echo(outcome.markdown)
    sys.exit(outcome.exit_code)


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


def main() -> None:
    # vLLM logs at INFO by default; keep CI logs and the report readable
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    try:
        cli(standalone_mode=True)
    except Exception:
        # a bug, not a regression: exit 1 would tell CI the model got worse
        traceback.print_exc()
        click.echo("error: internal error (a bug in evalspec; please report it)", err=True)
        sys.exit(EXIT_INFRA)


if __name__ == "__main__":
    main()
