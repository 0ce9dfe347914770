"""Exit codes, the same as `python -m ab_routing plan` uses."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
"""Something outside the user's input failed (AWS unreachable, no data in the window)."""
EXIT_INVALID = 2
"""Invalid input or config: bad flags, stack files, outputs or no control variant."""
