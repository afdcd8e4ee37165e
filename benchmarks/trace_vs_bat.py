# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: ``python -m bat_core list --json SHOT`` against the reference ``bat list --json SHOT``.

    .venv/bin/python benchmarks/trace_vs_bat.py [--production DIR] [--repeat N] [--profile]

Makes the production with bpy when DIR lacks it (benchmarks/make_trace_production.py: 10
libraries x 200 objects, 500 textures, a shot instancing a collection from every library),
installs the reference tool (blender-asset-tracer 1.23 from PyPI) into its own environment
(.venv-bench, never imported by product code), then runs each command as a fresh process,
alternating ours and theirs, one unmeasured warm-up each (so both read the files from the page
cache) and N measured runs. It prints the median wall time (process start to exit, interpreter
start-up and imports included, as a user sees it) and the peak memory of all the run's
processes together (our `list` walks libraries in worker processes: their resident memory is
summed, sampled from /proc every 10 ms, so shared pages count once per process and the figure
is an upper bound), the ratios against the targets, and how many of the production's 510
files each tool reports. A row "ours -j1" runs our `list --jobs 1` (one process, libraries
walked in order) for comparison.

A third row, "headers", only opens the 11 files with our reader (block headers and SDNA):
the floor for a tracer that reads every block header of every file, as ours does.

--profile also runs our trace() once in-process under cProfile and prints the top hotspots.
--ours-repo DIR measures the bat_core of another checkout (a patch under review) as ours.
Exit status: 1 when our tracer does not report exactly the production's files, else 0.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH_VENV = REPO / ".venv-bench"
DEFAULT_PRODUCTION = Path(tempfile.gettempdir()) / "bat-bench-trace"
TIME_TARGET = 1 / 5  # ours at most a fifth of the reference's wall time
MEMORY_TARGET = 1.0  # and no more memory
RUN_TIMEOUT = 300.0  # seconds for one run of either tool

# Opens the shot and every library with our reader and does nothing else: the time any tracer
# that reads every block header (ours does) cannot go below. Prints JSON like `list`.
HEADERS_ONLY = """
import json, sys
from pathlib import Path
from bat_core.blendfile import open_blend
shot = Path(sys.argv[1])
for path in [shot, *sorted((shot.parent / "libs").glob("*.blend"))]:
    open_blend(path).close()
print(json.dumps({}))
"""


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float  # user + system, worker processes included: steadier than wall time
    max_rss_kb: int  # the largest of the process and its workers, each alone (from wait4)
    tree_rss_kb: int  # the process and all its workers together, sampled (an upper bound)
    files: frozenset[str]


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants now (shared pages counted in each)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii", errors="replace") as status:
                total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    todo.extend(int(c) for c in children.read().split())
        except (OSError, ValueError):
            continue
    return total


class _TreeSampler(threading.Thread):
    """Samples a process tree's resident memory every few milliseconds until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak_kb = max(self.peak_kb, _tree_rss_kb(self.pid))
            self.done.wait(0.01)


def ensure_reference() -> Path:
    bat = BENCH_VENV / "bin" / "bat"
    if not bat.exists():
        print(f"installing blender-asset-tracer 1.23 into {BENCH_VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        subprocess.run(
            [str(BENCH_VENV / "bin" / "pip"), "install", "-q", "blender-asset-tracer==1.23", "zstandard"],
            check=True,
        )
    return bat


def ensure_production(folder: Path) -> tuple[Path, frozenset[str]]:
    """The shot, and the absolute paths of every file it depends on (from the production's manifest)."""
    # The maker does nothing when its manifest says the folder is complete.
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "make_trace_production.py"), str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"making the production in {folder} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    print(proc.stdout.strip().splitlines()[-1])
    manifest = json.loads((folder / "production.json").read_text(encoding="utf-8"))
    expected = [*manifest["libraries"], *manifest["textures"]]
    return folder / manifest["shot"], frozenset(os.path.normpath(folder / p) for p in expected)


def measure(cmd: list[str], label: str, cwd: Path) -> Run:
    """Run cmd once as a fresh process; wall time, the child's own peak RSS, and the files its JSON lists."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd)
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        # A stuck child is killed, so the benchmark reports it instead of hanging.
        watchdog = threading.Timer(RUN_TIMEOUT, proc.kill)
        watchdog.start()
        try:
            # wait4 reports this child's own rusage; RUSAGE_CHILDREN's ru_maxrss is a running maximum
            # over all children, so it could not tell a small run after a large one.
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            watchdog.cancel()
            sampler.done.set()
        seconds = time.perf_counter() - t0
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if seconds >= RUN_TIMEOUT:
            raise SystemExit(f"{label} did not finish within {RUN_TIMEOUT:.0f} s and was stopped")
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise SystemExit(f"{label} failed with exit status {proc.returncode}:\n{stderr[-3000:]}")
    try:
        listing: dict[str, list[str]] = json.loads(stdout)
    except ValueError as exc:
        raise SystemExit(f"{label} printed no JSON ({exc}):\n{stdout[:2000]}") from exc
    files = frozenset(os.path.normpath(p) for deps in listing.values() for p in deps)
    # Linux reports ru_maxrss in KiB.
    tree_kb = max(sampler.peak_kb, usage.ru_maxrss)
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, tree_kb, files)


def profile_ours(shot: Path, repo: Path, top: int = 25) -> None:
    sys.path.insert(0, str(repo))
    from bat_core.trace import TraceOptions, trace

    profiler = cProfile.Profile()
    profiler.enable()
    result = trace(shot, TraceOptions(all_library_data=False))
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    print(f"\ncProfile of trace() ({len(result.files())} files):")
    print(text.getvalue())


def summarize(label: str, runs: list[Run]) -> tuple[float, float, float]:
    times = [r.seconds for r in runs]
    median = statistics.median(times)
    cpu = statistics.median(r.cpu_seconds for r in runs)
    peak_mb = max(r.max_rss_kb for r in runs) / 1024
    tree_mb = max(r.tree_rss_kb for r in runs) / 1024
    print(
        f"{label:<8} median {median:7.3f} s   (min {min(times):.3f}, max {max(times):.3f}, "
        f"cpu {cpu:.3f} s)   peak RSS {peak_mb:6.1f} MB, all processes {tree_mb:6.1f} MB   "
        f"files {len(runs[0].files)}"
    )
    return median, cpu, tree_mb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--production", type=Path, default=DEFAULT_PRODUCTION, help="folder of the cached production")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs of each tool (at least 3)")
    parser.add_argument("--profile", action="store_true", help="also profile our trace() with cProfile")
    parser.add_argument(
        "--ours-repo",
        type=Path,
        default=REPO,
        help="checkout whose bat_core is measured as ours (to compare a patch against BAT)",
    )
    args = parser.parse_args()
    if args.repeat < 3:
        parser.error("--repeat must be at least 3 (the median of fewer runs says little)")
    bat = ensure_reference()
    shot, expected = ensure_production(args.production.resolve())
    ours_repo = args.ours_repo.resolve()
    if not (ours_repo / "bat_core" / "__main__.py").is_file():
        parser.error(f"--ours-repo {ours_repo} has no bat_core package")
    commands = {
        "ours": ([sys.executable, "-m", "bat_core", "list", "--json", str(shot)], ours_repo),
        "BAT": ([str(bat), "list", "--json", str(shot)], REPO),
        "ours -j1": ([sys.executable, "-m", "bat_core", "list", "--json", "--jobs", "1", str(shot)], ours_repo),
        "headers": ([sys.executable, "-c", HEADERS_ONLY, str(shot)], ours_repo),
    }
    runs: dict[str, list[Run]] = {label: [] for label in commands}
    for i in range(args.repeat + 1):
        for label, (cmd, cwd) in commands.items():
            run = measure(cmd, label, cwd)
            if i > 0:  # the first round only warms the page cache
                runs[label].append(run)
    print(f"shot {shot}: {len(expected)} files expected, {args.repeat} runs each after one warm-up")
    ours_s, ours_cpu, ours_mb = summarize("ours", runs["ours"])
    ref_s, ref_cpu, ref_mb = summarize("BAT", runs["BAT"])
    floor_s, _, _ = summarize("headers", runs.pop("headers"))
    single_s, _, single_mb = summarize("ours -j1", runs["ours -j1"])
    time_ratio, mem_ratio = ours_s / ref_s, ours_mb / ref_mb
    verdict = {True: "met", False: "MISSED"}
    print(
        f"time ratio ours/BAT   {time_ratio:.3f}  (target <= {TIME_TARGET:.3f}: {verdict[time_ratio <= TIME_TARGET]})"
    )
    print(
        f"memory ratio ours/BAT {mem_ratio:.3f}  (target <= {MEMORY_TARGET:.3f}: {verdict[mem_ratio <= MEMORY_TARGET]})"
    )
    # Not a target, but steadier than wall time when other work shares the machine.
    print(f"cpu ratio ours/BAT    {ours_cpu / ref_cpu:.3f}")
    print(f"floor ratio headers/BAT {floor_s / ref_s:.3f}  (only opening the 11 files with our reader)")
    print(f"one-process ratio ours -j1/BAT {single_s / ref_s:.3f} time, {single_mb / ref_mb:.3f} memory")
    status = 0
    for label, label_runs in runs.items():
        found = label_runs[0].files
        if any(r.files != found for r in label_runs):
            print(f"{label}: the runs disagree on the file list")
        libraries = sum(1 for p in found & expected if p.endswith(".blend"))
        textures = len(found & expected) - libraries
        extra = found - expected
        print(
            f"{label:<8} reports {len(found)} files: {libraries} libraries, {textures} textures, "
            f"{len(expected - found)} of the expected missing, {len(extra)} unexpected"
        )
        for p in sorted(extra)[:5]:
            print(f"           unexpected: {p}")
        if label.startswith("ours") and found != expected:
            status = 1
    if args.profile:
        profile_ours(shot, ours_repo)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
