"""What every `tv-eval` command shares: the app, the consoles and the one-line failure."""

from __future__ import annotations

import os
import sys
from typing import Annotated, NoReturn, TextIO

import typer
from rich.console import Console

app = typer.Typer(
    name="tv-eval",
    help="Multilingual multimodal evaluation of vision-language models, per language and resource tier.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Wide enough for any table tv-eval prints; rich sizes tables to their content, never to this.
UNBOUNDED_WIDTH = 4096


def console_width(stream: TextIO) -> int | None:
    """No width (rich asks the terminal) on a terminal or when COLUMNS says one; else unbounded.

    Output that is not a terminal (a CI log, a file, `| less`) is read by tools that do not re-wrap:
    rich's 80-column default there splits intervals over two lines and cuts cells to "0…", so
    tables are printed at the width that fits them instead.
    """
    if os.environ.get("COLUMNS", "").isdigit() or stream.isatty():
        return None
    return UNBOUNDED_WIDTH


stdout = Console(width=console_width(sys.stdout))
stderr = Console(stderr=True, width=console_width(sys.stderr))


@app.callback()
def global_options(
    width: Annotated[
        int | None,
        typer.Option(
            min=20,
            help="Console width in columns (default: the terminal's; unbounded when not a terminal). "
            "COLUMNS also sets it.",
        ),
    ] = None,
) -> None:
    """Multilingual multimodal evaluation of vision-language models, per language and resource tier."""
    if width is not None:
        stdout.width = width
        stderr.width = width


def fail(message: str, code: int = 2) -> NoReturn:
    from rich.markup import escape

    stderr.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def split_list(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())
