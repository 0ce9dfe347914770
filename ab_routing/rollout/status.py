"""The bake's live status line: redrawn in place on a terminal (rich), one line per check otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text


class StatusLine:
    def __init__(self, stream: TextIO | None = None, force_terminal: bool | None = None) -> None:
        self.console = Console(file=stream or sys.stderr, force_terminal=force_terminal, highlight=False)
        self.live: Live | None = None
        self.render: Callable[[], str] = lambda: ""

    @property
    def is_terminal(self) -> bool:
        return self.console.is_terminal

    def start(self, render: Callable[[], str]) -> None:
        """Show `render()`; on a terminal it is re-rendered 4 times a second (so elapsed time ticks)."""
        self.render = render
        if self.is_terminal and self.live is None:
            self.live = Live(_Dynamic(render), console=self.console, refresh_per_second=4, transient=True)
            self.live.start()

    def checked(self) -> None:
        """A check finished: off a terminal, print the line once."""
        if not self.is_terminal:
            self.console.print(self.render(), soft_wrap=True)

    def say(self, message: str) -> None:
        self.console.print(message, soft_wrap=True)

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
            self.console.print(self.render(), soft_wrap=True)


class _Dynamic:
    def __init__(self, render: Callable[[], str]) -> None:
        self.render = render

    def __rich__(self) -> Text:
        return Text(self.render())
