# SPDX-License-Identifier: GPL-3.0-or-later
"""Download the pinned wheels the extension ships into wheels/ and check them against their hashes.

Usage: .venv/bin/python scripts/fetch_wheels.py [--check]

The pins (exact version and sha256) live in requirements/wheels.txt. pip verifies every
download against its pinned hash (--require-hashes); files in wheels/ that are no longer
pinned are removed, so wheels/ always holds exactly the pinned set. --check downloads
nothing and only verifies what is there (exit 1 on any difference).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PINS = REPO / "requirements" / "wheels.txt"
WHEELS = REPO / "wheels"

_PIN_LINE = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>\S+)\s+--hash=sha256:(?P<sha256>[0-9a-f]{64})$")


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    sha256: str

    @property
    def wheel_prefix(self) -> str:
        # Wheel file names normalise the project name: "python-dateutil" -> "python_dateutil".
        return f"{re.sub(r'[-_.]+', '_', self.name).lower()}-{self.version}-"


def read_pins(path: Path = PINS) -> list[Pin]:
    pins: list[Pin] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _PIN_LINE.match(line)
        if match is None:
            raise SystemExit(f"{path}:{number}: expected 'name==version --hash=sha256:<64 hex>', got {line!r}")
        pins.append(Pin(match["name"], match["version"], match["sha256"]))
    return pins


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def wheel_for(pin: Pin, folder: Path) -> Path | None:
    matches = [p for p in folder.glob("*.whl") if p.name.lower().startswith(pin.wheel_prefix)]
    return matches[0] if len(matches) == 1 else None


def problems(pins: list[Pin], folder: Path = WHEELS) -> list[str]:
    """Every way the folder differs from the pins, as sentences; empty when they agree."""
    found: list[str] = []
    expected: set[Path] = set()
    for pin in pins:
        wheel = wheel_for(pin, folder)
        if wheel is None:
            found.append(f"{folder}: no single wheel for {pin.name}=={pin.version}")
            continue
        expected.add(wheel)
        if not wheel.name.endswith("-none-any.whl"):
            found.append(f"{wheel}: not a pure-Python wheel")
        if sha256_of(wheel) != pin.sha256:
            found.append(f"{wheel}: sha256 does not match the pin in {PINS.name}")
    for extra in sorted(set(folder.glob("*.whl")) - expected):
        found.append(f"{extra}: not pinned in {PINS.name}")
    return found


def fetch(pins: list[Pin]) -> None:
    WHEELS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bat-wheels-") as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet",
             "--no-deps", "--only-binary=:all:", "--require-hashes", "-r", str(PINS), "-d", tmp],
            check=True,
        )  # fmt: skip
        downloaded = Path(tmp)
        for pin in pins:
            wheel = wheel_for(pin, downloaded)
            if wheel is None:
                raise SystemExit(f"pip did not produce a wheel for {pin.name}=={pin.version}")
            shutil.copy2(wheel, WHEELS / wheel.name)
    pinned = {w.name for pin in pins if (w := wheel_for(pin, WHEELS)) is not None}
    for stale in WHEELS.glob("*.whl"):
        if stale.name not in pinned:
            stale.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify wheels/ against the pins")
    args = parser.parse_args(argv)
    pins = read_pins()
    if not args.check:
        fetch(pins)
    found = problems(pins)
    for line in found:
        print(line, file=sys.stderr)
    if not found:
        print(f"{WHEELS}: {len(pins)} wheels match {PINS.relative_to(REPO)}")
        print("manifest: wheels = [")
        for pin in pins:
            wheel = wheel_for(pin, WHEELS)
            print(f'    "./wheels/{wheel.name if wheel else "?"}",')
        print("]")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
