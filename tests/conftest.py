"""Settings every test shares."""

from __future__ import annotations

from hypothesis import settings

# Property tests check rules, not speed: on a loaded 2-core machine one example can take a second,
# and hypothesis's default 200 ms deadline would turn that into a spurious failure.
settings.register_profile("ab-routing", deadline=None)
settings.load_profile("ab-routing")
