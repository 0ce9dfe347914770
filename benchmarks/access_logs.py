"""Access-log reading: the DuckDB path of `logs` against a straightforward pure-Python parser.

    .venv/bin/python benchmarks/access_logs.py [--lines 1000000] [--files 20] [--malformed 3] [--repeat 3] [--dir DIR]

Generates AWS-format log files (gzip; ~5 % of lines with appended fields; `--malformed` lines cut
short, all in the first file, as when a delivery is cut off), then, each in a fresh process so that
peak memory is its own: (1) `ab_routing.logs.duck.aggregate_files`; (2) a pure-Python reader: gzip
line by line, the same line regex, the same figures in dicts (latencies kept in lists for the
percentiles, as a straightforward script does). The two run alternately `--repeat` times; it
reports the median lines/s and peak RSS of each, the median of the per-round speed-ups (each round
is its own baseline, so a busy moment weighs on both sides), and the DuckDB path's peak RSS on a
quarter of the files (bounded memory: it must not grow with lines). Generated files are kept in
--dir and reused. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ab_routing.logs.fields import FIELDS, LINE_PATTERN  # noqa: E402
from ab_routing.logs.query import Scope  # noqa: E402
from tests.logs_support import LB_SUFFIX, T0, realistic_lines, write_log  # noqa: E402

SCOPE = Scope(LB_SUFFIX, T0, T0 + timedelta(days=1))
_COL = {name: i for i, name in enumerate(FIELDS)}


def generate(directory: Path, lines: int, files: int, malformed: int) -> list[Path]:
    per_file = lines // files
    paths = []
    for k in range(files):
        path = directory / f"bench-{lines}-{k:03d}.log.gz"
        if not path.exists():
            start = T0 + timedelta(minutes=5 * k)
            write_log(path, realistic_lines(per_file, seed=k, start=start, seconds=300, malformed=malformed if k == 0 else 0))
        paths.append(path)
    return paths


def duckdb_path(paths: Sequence[Path]) -> dict[str, Any]:
    from ab_routing.logs.duck import aggregate_files, line_kinds

    result = aggregate_files(paths, SCOPE)
    kinds = line_kinds(result.rows)
    requests = {
        str(r["target_group"]): int(r["requests"])
        for r in result.rows
        if r["per_line_kind"] == 1 and r["whole_window"] == 1 and r["in_window"] and not r["override"]
    }
    return {"lines": sum(kinds.values()) + result.refused_lines, "requests": requests, "fallbackFiles": len(result.stats.fallback_files)}


def python_path(paths: Sequence[Path]) -> dict[str, Any]:
    """What one writes without an engine: a regex per line, counts and latency lists in dicts."""
    lines = 0
    requests: dict[str, int] = defaultdict(int)
    errors: dict[str, int] = defaultdict(int)
    per_minute: dict[tuple[str, str], int] = defaultdict(int)
    latencies: dict[str, list[float]] = defaultdict(list)
    clients: dict[str, set[str]] = defaultdict(set)
    start, end = SCOPE.start.strftime("%Y-%m-%dT%H:%M:%S"), SCOPE.end.strftime("%Y-%m-%dT%H:%M:%S")
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as text:
            for line in text:
                lines += 1
                match = LINE_PATTERN.match(line.rstrip("\n"))
                if match is None:
                    continue
                f = match.groups()
                if f[_COL["elb"]] != LB_SUFFIX or not start <= f[_COL["time"]] < end:
                    continue
                tg = f[_COL["target_group_arn"]]
                if int(f[_COL["matched_rule_priority"]] if f[_COL["matched_rule_priority"]].lstrip("-").isdigit() else 0) > 0:
                    continue
                requests[tg] += 1
                per_minute[(f[_COL["time"]][:16], tg)] += 1
                status, target_status = f[_COL["elb_status_code"]], f[_COL["target_status_code"]]
                if target_status.startswith("5") or (target_status == "-" and status.startswith("5")):
                    errors[tg] += 1
                ms = float(f[_COL["target_processing_time"]]) * 1000
                if ms >= 0:
                    latencies[tg].append(ms)
                clients[tg].add(f[_COL["client_port"]].rsplit(":", 1)[0])
    for values in latencies.values():
        values.sort()
    return {"lines": lines, "requests": dict(requests), "fallbackFiles": 0}


def _child(kind: str, paths: Sequence[Path]) -> None:
    began = time.perf_counter()
    out = (duckdb_path if kind == "duckdb" else python_path)(paths)
    out["seconds"] = time.perf_counter() - began
    out["peakRssMb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def measure(kind: str, paths: Sequence[Path]) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, *map(str, paths)]
    done = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--malformed", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3, help="alternating rounds of both readers (median reported)")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/ab-routing-bench-logs"))
    parser.add_argument("--child", choices=("duckdb", "python"), default=None, help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.paths)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    paths = generate(args.dir, args.lines, args.files, args.malformed)
    size = sum(p.stat().st_size for p in paths) / 1e6
    print(f"{args.lines} lines in {len(paths)} gzip files ({size:.0f} MB) ready in {time.perf_counter() - began:.0f} s")
    rounds = []
    for k in range(max(1, args.repeat)):
        duck, python = measure("duckdb", paths), measure("python", paths)
        assert duck["requests"] == python["requests"], "the two readers disagree"
        print(f"round {k + 1}: duckdb {duck['seconds']:.2f} s, pure python {python['seconds']:.2f} s", flush=True)
        rounds.append((duck, python))
    quarter = measure("duckdb", paths[: max(1, len(paths) // 4)])
    for name, side in (("duckdb", 0), ("pure python", 1)):
        seconds = statistics.median(r[side]["seconds"] for r in rounds)
        rss = statistics.median(r[side]["peakRssMb"] for r in rounds)
        print(f"{name:12s} {rounds[0][side]['lines'] / seconds:>10,.0f} lines/s  {seconds:6.2f} s  peak RSS {rss:5.0f} MB  (medians)")
    ratios = [python["seconds"] / duck["seconds"] for duck, python in rounds]
    print(f"speed-up {statistics.median(ratios):.1f}x (median of {', '.join(f'{r:.1f}' for r in ratios)})")
    print(f"duckdb files re-read line by line: {rounds[0][0]['fallbackFiles']}")
    print(f"duckdb peak RSS on a quarter of the files: {quarter['peakRssMb']:.0f} MB (all files: {rounds[0][0]['peakRssMb']:.0f} MB)")


if __name__ == "__main__":
    main()
