"""Fuzzed configs through ``syncd validate --secrets`` as a subprocess: seeded random mutations
of the demo config (hostile values, lost and doubled lines, cut files, stray bytes, shifted
indentation). Each ends valid (exit 0) or with one line naming the place (exit 2); none with a
traceback, a secret in its output, or a file written."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.chaos import invariants as inv

ROOT = Path(__file__).parents[2]
SEED = 20261205
MUTANTS = 8
HOSTILE_VALUES = [
    ".nan",
    "-.inf",
    "1e309",
    "9" * 400,
    "'0 0 30 2 *'",
    "2026-02-30",
    "0001-01-01",
    '"${file:/dev/zero}"',
    '"${env:NO_SUCH_VARIABLE}"',
    "*undefined",
    "&a [*a]",
    "{",
    "!!python/object/apply:os.system [id]",
    '"\\x00"',
    "[" * 80,
    "every 0s",
]
SECRETS = {  # what the demo's references resolve to: no output may show them
    "SF_CLIENT_SECRET": "sf-chaos-client-secret-51f0",
    "SF_PASSWORD": "sf-chaos-password-7d22",
    "HUBSPOT_TOKEN": "pat-chaos-e3b9-private",
    "ZENDESK_TOKEN": "zd-chaos-fuzz-80aa",
    "MATOMO_TOKEN": "matomo-chaos-c0ffee",
    "MIXPANEL_SECRET": "mixpanel-chaos-1b2c",
    "AMPLITUDE_SECRET_KEY": "amplitude-chaos-9f9f",
}


def mutate(text: str, rng: random.Random) -> tuple[str, str]:
    """One random mutation of ``text``, and what it was."""
    lines = text.splitlines(keepends=True)
    n = rng.randrange(len(lines))
    kind = rng.choice(["value", "value", "delete", "duplicate", "cut", "bytes", "indent"])
    if kind == "value":
        candidates = [i for i, line in enumerate(lines) if re.search(r":\s+\S", line)]
        n = rng.choice(candidates)
        value = rng.choice(HOSTILE_VALUES)
        lines[n] = re.sub(r"(:\s+).*$", lambda m: m.group(1) + value, lines[n].rstrip("\n")) + "\n"
        return "".join(lines), f"line {n + 1} value → {value[:20]}"
    if kind == "delete":
        del lines[n]
        return "".join(lines), f"line {n + 1} deleted"
    if kind == "duplicate":
        lines.insert(n, lines[n])
        return "".join(lines), f"line {n + 1} doubled"
    if kind == "cut":
        cut = rng.randrange(len(text))
        return text[:cut], f"cut at byte {cut}"
    if kind == "bytes":
        at = rng.randrange(len(text))
        junk = "".join(chr(rng.choice([0, 7, 0x1B, 0xFEFF, 0xD7FF, 0x202E])) for _ in range(3))
        return text[:at] + junk + text[at:], f"control bytes at {at}"
    lines[n] = (" " * rng.choice([1, 3, 6])) + lines[n]
    return "".join(lines), f"line {n + 1} indented"


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syncd", "validate", "--secrets", "-c", str(path)],
        cwd=path.parent,
        env={**os.environ, "COLUMNS": "80", **SECRETS},
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard, not a measurement
        check=False,
    )


@pytest.mark.scenario(
    "fuzzed configs via syncd validate",
    f"{MUTANTS} seeded mutations (seed {SEED}) of config/demo.yaml: hostile values, lost/doubled "
    "lines, cut files, control bytes, shifted indentation",
)
def test_fuzzed_configs_fail_cleanly(tmp_path, scenario):
    rng = random.Random(SEED)
    demo = (ROOT / "config" / "demo.yaml").read_text()
    mutants: list[tuple[Path, str]] = []
    for n in range(MUTANTS):
        text, what = mutate(demo, rng)
        path = tmp_path / f"mutant-{n}.yaml"
        path.write_text(text)
        mutants.append((path, what))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(validate, [path for path, _ in mutants]))

    codes = [r.returncode for r in results]
    unplaced = [
        f"{path.name} ({what}): {r.stderr.strip().splitlines()[:1]}"
        for (path, what), r in zip(mutants, results, strict=True)
        if r.returncode == 2 and not re.match(rf"error: {re.escape(str(path))}(:\d+)*: ", r.stderr)
    ]
    outputs = "".join(r.stdout + r.stderr for r in results)
    written = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("mutant-"))
    scenario.expect(
        "exit 0 (valid) or 2 (refused), never a crash",
        f"exits {sorted(codes)}",
        set(codes) <= {0, 2} and 2 in codes,
    )
    scenario.expect(
        "each refusal names file:line",
        f"{codes.count(2) - len(unplaced)} of {codes.count(2)}"
        + (f": {unplaced}" if unplaced else ""),
        not unplaced,
    )
    scenario.expect(
        "no traceback", f"{inv.tracebacks(outputs)} in the outputs", not inv.tracebacks(outputs)
    )
    leaked = inv.leaks(list(SECRETS.values()), outputs)
    scenario.expect("no secret in the outputs", f"{len(leaked)} leaked", not leaked)
    scenario.expect("nothing written by validate", f"new files: {written or 'none'}", not written)
    scenario.verdict()
