"""What every `tv-eval` command shares: the app, the consoles and the one-line failure."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

app = typer.Typer(
    name="tv-eval",
    help="Multilingual multimodal evaluation of vision-language models, per language and resource tier.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stdout = Console()
stderr = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    from rich.markup import escape

    stderr.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def split_list(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())
