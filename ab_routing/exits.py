"""Exit codes of every `python -m ab_routing` command."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
"""Something outside the user's input failed (AWS unreachable, no data in the window)."""
EXIT_INVALID = 2
"""Invalid input or config: bad flags, stack files, outputs or no control variant."""
