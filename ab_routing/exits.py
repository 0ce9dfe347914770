"""Exit codes of every `python -m ab_routing` command (the same meaning in each)."""

from __future__ import annotations

EXIT_OK = 0
"""Done: the document was printed, every check passed, the rollout finished."""
EXIT_FAILURE = 1
"""Could not check or act: AWS or the endpoint unreachable, no data in the window, apply failed."""
EXIT_INVALID = 2
"""Invalid input or config: bad flags, stack files, outputs or no control variant."""
EXIT_CHECK_FAILED = 3
"""A check failed (drift, split, override, stickiness, no healthy target) or a rollback happened."""
