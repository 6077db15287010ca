"""How every ``skinlab`` command prints JSON (one place, so the commands agree)."""

from __future__ import annotations

import json
from typing import Any

import typer


def print_json(document: Any) -> None:
    """Print a JSON document the way every command does (UTF-8, indented)."""
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))


def print_progress(line: str) -> None:
    """A progress line of a long command, on stderr so the JSON on stdout stays parseable."""
    typer.echo(line, err=True)
