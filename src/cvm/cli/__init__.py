"""The ``cvm`` command line: a thin layer over the Python API.

Each command module registers its commands on :data:`main`; errors that users can fix are
printed as one clear sentence (exit code 2), never as a traceback.

Two streams: results (tables, the run summary, listings) go to standard output through
:data:`output`, so they can be redirected or piped; progress, notes, warnings and errors go to
standard error through :data:`console`. ``cvm --quiet`` silences the progress and the notes
(:func:`note`) but never the warnings (:func:`warn`) or the errors.
"""

from __future__ import annotations

import functools
import logging
import os
import sys

import click
from rich.console import Console
from rich.markup import escape

from ..errors import CvmError

__all__ = ["main", "console", "output", "friendly_errors", "note", "warn", "quiet"]

# Lines are not broken at the console width (tables still fit it), so that a redirected
# summary or a piped listing keeps each sentence on one line for grep.
#: progress, notes, warnings and errors: standard error
console = Console(stderr=True, highlight=False, soft_wrap=True)
#: results: tables, the run summary, listings: standard output; redirected to a file or a pipe
#: (no terminal to fit, rich would assume 80 columns), tables get room for whole cell names
output = Console(highlight=False, soft_wrap=True,
                 width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160)

_quiet = False


def quiet() -> bool:
    """True under ``cvm --quiet``: no progress and no notes."""
    return _quiet


def note(message: str) -> None:
    """A note on standard error (what was written where, what to do next); not under --quiet."""
    if not _quiet:
        console.print(message)


def warn(message: str) -> None:
    """A warning on standard error, shown even under --quiet; the message is text, not markup
    (a file named "sales[2024].csv" is shown as named)."""
    console.print(f"[yellow]warning:[/] {escape(message)}")


def friendly_errors(func):
    """Turn the errors a user can act on (every :class:`~cvm.errors.CvmError`, from any layer)
    into one clear message and exit code 2; any other error is a fault and keeps its traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CvmError as exc:
            # the message is text, not markup: "[seed12]" in it is shown, not taken for a style
            console.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, soft_wrap=True)
            sys.exit(2)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="cvm")
@click.option("-v", "--verbose", is_flag=True, help="Log what each step does.")
@click.option("-q", "--quiet", "be_quiet", is_flag=True,
              help="No progress and no notes on standard error; warnings and errors still.")
def main(verbose: bool, be_quiet: bool) -> None:
    """cvm — customer value management.

    Turns a business's transaction records into one view of each customer: RFM scores and
    segments, ABC (Pareto) classes, and a report of who the valuable customers are.

    \b
    Start here:
      cvm demo                      analyse built-in demo data
      cvm run sales.csv             analyse your own transactions
      cvm run --help                every option of a run

    Results (tables, the run summary, listings) go to standard output; progress, notes,
    warnings and errors to standard error, so `cvm run sales.csv > summary.txt` keeps the
    summary and `cvm runs | grep failed` works.
    """
    global _quiet
    _quiet = be_quiet
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


from . import analysis  # noqa: E402,F401  (registers the commands)
from . import serve  # noqa: E402,F401  (serve, token, report)
from . import clv  # noqa: E402,F401  (validate-clv, clv-scenario)
from . import identity  # noqa: E402,F401  (link, customer)
from . import segments  # noqa: E402,F401  (targets, alerts, matrix)
from . import churn  # noqa: E402,F401  (churn validate)
from . import interactions  # noqa: E402,F401  (load-interactions)
from . import basket  # noqa: E402,F401  (basket rules)
from . import campaign  # noqa: E402,F401  (campaign create, plan, analyse, results, uplift)
from . import satisfaction  # noqa: E402,F401  (satisfaction pls)
from . import survey  # noqa: E402,F401  (survey load, index, nps, importance, gap)
from . import cohorts  # noqa: E402,F401  (cohorts)
