# SPDX-License-Identifier: GPL-3.0-or-later
"""How fast ``python -m bat_core pack`` packs a production compared with ``cp -r`` of it.

Builds (or reuses) a ~2.2 GB production made with real Blender (make_pack_production.py: a
shot and a library referencing 3000 small textures and four files of 200-400 MB, some by
absolute paths so both .blend files get rewritten). Then, after one untimed warm-up round,
several rounds in alternating order: ``cp -r PROJECT`` versus the whole pack command
(interpreter start, tracing, planning, .blend rewriting, transfer) into a fresh folder on the
same disk. Prints the median times, the throughput over the same byte count, the ratio
ours / cp -r (higher is better for us) and the median of the per-round ratios, the same with
the ``sync`` after each command included (until the data is on disk), the CPU time of each
command, and one in-process pack with the wall and CPU time spent in each stage
(``--profile`` adds cProfile's view of the main thread).

Fairness (as in transfer_vs_cp.py): the production is read once beforehand so both start
from a warm page cache; every copy goes to a fresh folder and ``sync`` flushes dirty pages
before each timed command (untimed), so neither pays for the other's write-back; copies are
deleted only at the end, because deleting on this ext4 (mounted with ``discard``) made the
next timing depend on the trims in flight, but each is evicted from the page cache once
synced, so later rounds do not pay for reclaiming earlier copies; the order alternates each
round. On a VM that hands freed memory back to its host, that is held for the run
(steady_memory.py). The machine may be shared: the load average is printed with the results, and the
spread of the rounds shows the noise. Disk space: the production plus 2 x 2.2 GB per round
and for the warm-up (about 27 GB for 5 rounds), all deleted at the end except the production
(``--clean`` deletes that too).

    .venv/bin/python benchmarks/pack_vs_cp.py [--work /tmp/bat-bench-pack] [--rounds 5]
        [--workers N] [--profile] [--clean] [--nice -10] [--keep-page-reporting]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from steady_memory import add_page_reporting_option, held_page_reporting  # noqa: E402

from bat_core.pack import PackRequest, PlanOptions, TargetSettings, run_pack  # noqa: E402
from bat_core.progress import ProgressEvent, Stage  # noqa: E402
from bat_core.trace import trace  # noqa: E402

TARGET_RATIO = 0.9


def make_production(work: Path) -> dict[str, object]:
    """Run the bpy generator (a no-op when its cache is current) and read what it built."""
    script = Path(__file__).resolve().parent / "make_pack_production.py"
    done = subprocess.run([sys.executable, str(script), str(work)], check=False, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"building the production in {work} failed (exit {done.returncode})")
    print(done.stdout.strip().splitlines()[-1], flush=True)
    info: dict[str, object] = json.loads((work / "production.json").read_text())
    return info


def tree_size(root: Path) -> tuple[int, int]:
    """(files, bytes) of the regular files under root."""
    files = total = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            files += 1
            total += os.lstat(os.path.join(dirpath, name)).st_size
    return files, total


def warm(root: Path) -> None:
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            with open(os.path.join(dirpath, name), "rb") as f:
                while f.read(16 * 1024**2):
                    pass


def drop_from_cache(root: Path) -> None:
    """Evict a finished (synced) copy from the page cache, keeping the files.

    Five rounds write more than this machine's memory; without this the later rounds paid for
    reclaiming the earlier copies' pages (CPU times tripled), whichever tool ran then.
    """
    if not hasattr(os, "posix_fadvise"):
        return
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def settle(dest: Path) -> None:
    if dest.exists():
        raise SystemExit(f"{dest} already exists")
    subprocess.run(["sync"], check=True)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], dest: Path) -> tuple[float, float, float]:
    """Wall seconds and CPU seconds (user+sys, less at the mercy of other load than wall time)
    of one command, and the seconds of the ``sync`` right after it: what it left for the disk
    to write back. Commands run in the repository root, so ``-m bat_core`` is this checkout."""
    settle(dest)
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, check=False, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"{' '.join(command)} failed (exit {done.returncode})")
    start = time.perf_counter()
    subprocess.run(["sync"], check=True)
    sync_seconds = time.perf_counter() - start
    drop_from_cache(dest)
    return seconds, cpu, sync_seconds


def pack_command(shot: Path, project: Path, dest: Path, workers: int | None) -> list[str]:
    command = [sys.executable, "-m", "bat_core", "pack", str(shot), str(dest), "--project", str(project), "--quiet"]
    if workers is not None:
        command += ["--workers", str(workers)]
    return command


def check_same_tree(cp_dest: Path, our_dest: Path, main_in_pack: Path) -> None:
    """Both commands must have produced the same files, and the pack must be self-contained,
    or the comparison means nothing."""
    cp_files, cp_bytes = tree_size(cp_dest)
    our_files, our_bytes = tree_size(our_dest)
    print(f"  check: cp -r wrote {cp_files} files / {cp_bytes} bytes, pack wrote {our_files} files / {our_bytes} bytes")
    if (cp_files, cp_bytes) != (our_files, our_bytes):
        raise SystemExit("the pack and the copy differ in files or bytes; the ratio would be meaningless")
    again = trace(our_dest / main_in_pack)
    root = os.path.normpath(os.path.abspath(our_dest)) + os.sep
    found = again.files()
    outside = [f for f in found if not str(f).startswith(root)]
    print(f"  check: the packed shot needs {len(found)} files, {len(again.missing())} missing, {len(outside)} outside")
    if again.missing() or outside or len(found) + 1 != our_files:
        raise SystemExit("the pack is not self-contained; the ratio would be meaningless")


class StageClock:
    """A progress listener noting when each stage first reports (wall and process CPU time)."""

    def __init__(self) -> None:
        self.start = (time.perf_counter(), time.process_time())
        self.first: dict[Stage, tuple[float, float]] = {}

    def __call__(self, event: ProgressEvent) -> None:
        if event.stage not in self.first:
            self.first[event.stage] = (time.perf_counter(), time.process_time())

    def report(self, end: tuple[float, float]) -> list[tuple[str, float, float]]:
        """(stage, wall seconds, CPU seconds) from each stage's first event to the next one's."""
        marks = [("(opening)", self.start), *sorted(((str(k), v) for k, v in self.first.items()), key=lambda m: m[1])]
        ends = [m[1] for m in marks[1:]] + [end]
        return [(name, e[0] - at[0], e[1] - at[1]) for (name, at), e in zip(marks, ends, strict=True)]


def in_process_pack(shot: Path, project: Path, dest: Path, workers: int, profile: bool) -> None:
    """One pack in this process with a stage clock (and cProfile when asked)."""
    request = PackRequest(
        blend=shot, target=str(dest), plan=PlanOptions(project=project), settings=TargetSettings(workers=workers)
    )
    clock = StageClock()
    settle(dest)
    profiler = cProfile.Profile() if profile else None
    clock.start = (time.perf_counter(), time.process_time())
    run: Callable[[], object] = lambda: run_pack(request, clock)  # noqa: E731
    if profiler is not None:
        profiler.runcall(run)
    else:
        run()
    end = (time.perf_counter(), time.process_time())
    wall, cpu = end[0] - clock.start[0], end[1] - clock.start[1]
    print(f"in-process pack (workers={workers}): {wall:.2f} s wall, {cpu:.2f} s CPU")
    for name, stage_wall, stage_cpu in clock.report(end):
        print(f"  {name:10s} {stage_wall:6.2f} s wall  {stage_cpu:6.2f} s CPU")
    print("  (each row runs from a stage's first event to the next one's; the plan reports when it is")
    print("  made, so planning is counted in the trace row)")
    if profiler is not None:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(30)


def startup_seconds() -> float:
    """Interpreter start plus importing the CLI: paid by every pack command, not by cp."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bat_core", "--help"], capture_output=True, check=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _seconds(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times) + " s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bat-bench-pack")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, help="pass --workers N to the pack command (default: its own)")
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process pack")
    parser.add_argument("--clean", action="store_true", help="delete the production too (it is kept by default)")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness change for this run and both commands alike (negative needs root): on a shared machine, "
        "-10 measures the tools rather than the scheduler",
    )
    add_page_reporting_option(parser)
    args = parser.parse_args()
    with held_page_reporting(not args.keep_page_reporting) as memory_note:
        print(memory_note, flush=True)
        return run(args)


def run(args: argparse.Namespace) -> int:
    if args.nice:
        try:
            os.nice(args.nice)
        except PermissionError:
            raise SystemExit(f"--nice {args.nice}: not permitted for this user") from None
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    copies = work / "copies"
    if copies.exists():
        shutil.rmtree(copies)
    copies.mkdir()
    info = make_production(work)
    # Python caches compiled modules next to them, unless told not to (PYTHONDONTWRITEBYTECODE,
    # as on the machines this was written on): an installed tool runs from that cache, so the
    # pack command is timed with it too; without it every run compiled ~70 modules (25 ms).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "bat_core")], check=True)
    project, shot = Path(str(info["project"])), Path(str(info["shot"]))
    files, total = tree_size(project)
    print(f"production: {files} files, {total / 1e9:.2f} GB; warming the page cache ...", flush=True)
    warm(project)
    load_before = os.getloadavg()
    cp_times: list[float] = []
    our_times: list[float] = []
    cpu: dict[str, list[float]] = {"cp -r": [], "pack": []}
    durable: dict[str, list[float]] = {"cp -r": [], "pack": []}
    try:
        # One untimed round of each first: the first copy after the production was built or
        # warmed was repeatedly 3-6x slower than the rest here (for cp -r, which goes first),
        # which would tilt the medians towards us.
        for name, command, dest in (
            ("cp -r", ["cp", "-r", str(project), str(copies / "warmup_cp")], copies / "warmup_cp"),
            ("pack", pack_command(shot, project, copies / "warmup_ours", args.workers), copies / "warmup_ours"),
        ):
            seconds, _cpu, _sync = timed(command, dest)
            print(f"  warm-up: {name:5s} {seconds:6.2f} s (not counted)", flush=True)
        for round_no in range(args.rounds):
            cp_dest, our_dest = copies / f"cp_{round_no}", copies / f"ours_{round_no}"
            runs = [
                ("cp -r", cp_times, ["cp", "-r", str(project), str(cp_dest)], cp_dest),
                ("pack", our_times, pack_command(shot, project, our_dest, args.workers), our_dest),
            ]
            if round_no % 2:
                runs.reverse()
            for name, times, command, dest in runs:
                seconds, cpu_seconds, sync_seconds = timed(command, dest)
                times.append(seconds)
                cpu[name].append(cpu_seconds)
                durable[name].append(seconds + sync_seconds)
                rate = total / seconds / 1e9
                print(
                    f"  round {round_no + 1}: {name:5s} {seconds:6.2f} s  {rate:5.2f} GB/s  "
                    f"(CPU {cpu_seconds:5.2f} s; + sync {sync_seconds:5.2f} s)",
                    flush=True,
                )
            if round_no == 0:
                check_same_tree(cp_dest, our_dest, shot.relative_to(project))
        load_after = os.getloadavg()
        startup = startup_seconds()
        print()
        in_process_pack(shot, project, copies / "in_process", args.workers or 4, args.profile)
    finally:
        shutil.rmtree(copies, ignore_errors=True)
        if args.clean:
            shutil.rmtree(work, ignore_errors=True)
    cp_median, our_median = statistics.median(cp_times), statistics.median(our_times)
    ratio = cp_median / our_median
    print()
    print(
        f"load average (1 min) before {load_before[0]:.1f}, after {load_after[0]:.1f} on {os.cpu_count()} CPUs; "
        f"niceness {os.nice(0)}"
    )
    print(f"rounds: cp -r {_seconds(cp_times)}; pack {_seconds(our_times)}")
    cp_cpu, our_cpu = statistics.median(cpu["cp -r"]), statistics.median(cpu["pack"])
    print(f"CPU (user+sys) median: cp -r {cp_cpu:.2f} s, pack {our_cpu:.2f} s, ratio {cp_cpu / our_cpu:.2f}")
    print(f"pack command start-up (python -m bat_core --help): {startup:.2f} s")
    print(f"cp -r  median {cp_median:.2f} s = {total / cp_median / 1e9:.2f} GB/s")
    print(f"pack   median {our_median:.2f} s = {total / our_median / 1e9:.2f} GB/s")
    cp_durable, our_durable = statistics.median(durable["cp -r"]), statistics.median(durable["pack"])
    print(
        f"command + sync (on disk) median: cp -r {cp_durable:.2f} s, pack {our_durable:.2f} s, "
        f"ratio {cp_durable / our_durable:.2f}"
    )
    # The machine's speed drifts between rounds; each round's two commands ran back to back,
    # so the median of the per-round ratios is the steadier figure.
    paired = statistics.median(c / o for c, o in zip(cp_times, our_times, strict=True))
    print(f"median of the per-round ratios (cp -r / pack in the same round): {paired:.2f}")
    # A command cannot use more CPU time than the machine has cores for its wall time; when it
    # is charged more, the virtual machine's host ran something else on those cores meanwhile
    # and charged the time to whatever was running (seen here in the rounds where the pack, the
    # one command using both cores, came out 25-50 % slower while cp -r did not).
    cores = os.cpu_count() or 1
    overcharged = sum(1 for t, c in zip(our_times, cpu["pack"], strict=True) if c > cores * t * 1.02)
    if overcharged:
        print(
            f"warning: {overcharged} of {len(our_times)} pack rounds were charged more CPU time than "
            f"{cores} cores allow: the host took CPU time from this machine then; those rounds measure the host"
        )
    verdict = "meets" if ratio >= TARGET_RATIO else "is below"
    print(f"throughput ratio pack / cp -r = {ratio:.2f} ({verdict} the {TARGET_RATIO}x target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
