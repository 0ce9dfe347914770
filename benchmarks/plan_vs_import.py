"""How much the offline plan costs over merely importing the SDKs, as a ratio from one run.

    .venv/bin/python benchmarks/plan_vs_import.py [--repeat 5]

Both sides are fresh interpreter processes (what a user waits for), timed alternately so machine
load affects both alike; the median of each is reported with their ratio. No timing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = [sys.executable, "-c", "import pulumi, pulumi_aws, pulumi_awsx"]
PLAN = [sys.executable, "-m", "ab_routing", "plan", "--stack", "dev", "--json"]


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    timed(BASELINE)  # warm the file cache once
    baseline, plan = [], []
    for _ in range(repeat):
        baseline.append(timed(BASELINE))
        plan.append(timed(PLAN))
    b, p = statistics.median(baseline), statistics.median(plan)
    print(f"import SDKs (baseline): median {b:.2f} s over {repeat} runs")
    print(f"offline plan, dev stack: median {p:.2f} s over {repeat} runs")
    print(f"ratio plan / baseline: {p / b:.2f}x")


if __name__ == "__main__":
    main()
