"""`pulumi up --yes --stack S` with its progress streamed, and Ctrl-C made safe.

The plain CLI is enough: the rollout changes config values and lets Pulumi do the rest. `pulumi up`
runs in its own session, so a Ctrl-C at the terminal reaches only this process; the first one is
passed on to `pulumi up` once (Pulumi then cancels cleanly, finishing the operations in flight),
later ones are not (a second SIGINT would make Pulumi stop at once and can leave a pending
operation). When `pulumi up` has exited, `KeyboardInterrupt` is raised so the caller can check what
was deployed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TextIO

from ab_routing.exits import EXIT_FAILURE, EXIT_INVALID

TAIL_LINES = 20


class PulumiError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class PulumiCli:
    def __init__(self, directory: Path, stream: TextIO | None = None, executable: str = "pulumi") -> None:
        self.directory = directory
        self.stream = stream or sys.stderr
        self.executable = executable
        self.region: str | None = None
        """`--region`, handed to `pulumi up` as AWS_REGION so the apply goes where the checks look."""

    def whoami(self) -> str:
        """The logged-in user, or PulumiError: exit 2 when the CLI is missing, 1 when not logged in."""
        try:
            result = subprocess.run(
                [self.executable, "whoami"], cwd=self.directory, capture_output=True, text=True, timeout=60, check=False
            )
        except FileNotFoundError:
            raise PulumiError(
                "the pulumi CLI is not installed or not on PATH (https://www.pulumi.com/docs/install/); nothing was changed",
                EXIT_INVALID,
            ) from None
        except subprocess.TimeoutExpired:
            raise PulumiError("`pulumi whoami` did not answer within 60 s; nothing was changed") from None
        if result.returncode != 0:
            detail = (result.stderr.strip() or result.stdout.strip() or f"exit code {result.returncode}").splitlines()[-1]
            raise PulumiError(f"the pulumi CLI is not logged in (`pulumi whoami`: {detail}); run `pulumi login`; nothing was changed")
        return result.stdout.strip()

    def up(self, stack: str) -> None:
        """Run `pulumi up --yes --stack <stack>`, streaming each line; PulumiError when it fails."""
        command = [self.executable, "up", "--yes", "--stack", stack]
        print(f"$ {' '.join(command)}", file=self.stream, flush=True)
        tail: list[str] = []
        try:
            process = subprocess.Popen(
                command,
                cwd=self.directory,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
                start_new_session=True,
                env={**os.environ, "AWS_REGION": self.region} if self.region else None,
            )
        except FileNotFoundError:
            raise PulumiError("the pulumi CLI is not installed or not on PATH", EXIT_INVALID) from None
        with _forward_interrupt_once(process, self.stream) as interrupted:
            assert process.stdout is not None
            for line in process.stdout:
                self.stream.write(f"  | {line}")
                self.stream.flush()
                tail = [*tail[-(TAIL_LINES - 1) :], line.rstrip()]
            code = process.wait()
        if interrupted():
            raise KeyboardInterrupt
        if code != 0:
            last = next((line for line in reversed(tail) if line.strip()), f"exit code {code}")
            raise PulumiError(f"`{' '.join(command)}` failed (exit code {code}): {last.strip()}")


@contextlib.contextmanager
def _forward_interrupt_once(process: subprocess.Popen[str], stream: TextIO) -> Iterator[Callable[[], bool]]:
    count = 0

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal count
        count += 1
        if count == 1:
            print("\ninterrupt: letting `pulumi up` finish (signal passed on once); then checking what is deployed", file=stream)
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)
        else:
            print("still waiting for `pulumi up` to finish; killing it could leave a pending operation", file=stream)

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: no handler can be installed; Ctrl-C never reaches us here
        yield lambda: False
        return
    try:
        yield lambda: count > 0
    finally:
        signal.signal(signal.SIGINT, previous)
