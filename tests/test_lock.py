"""requirements.lock pins what pyproject.toml asks for, and the environment runs those pins.

The lock (``make lock``) is what ``make``, CI and a deployment install with
``pip install --require-hashes``; a pyproject change without ``make lock`` must fail here, not
in a deployment that suddenly resolves differently.
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
PROJECT = "syncd"

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")


def lock_pins(text: str) -> dict[str, Version]:
    """Canonical package name → pinned version, for every pin line of a lock file."""
    pins: dict[str, Version] = {}
    for line in text.splitlines():
        if match := _PIN.match(line):
            pins[canonicalize_name(match["name"])] = Version(match["version"])
    return pins


def lock_hashes(text: str) -> dict[str, int]:
    """Canonical package name → how many ``--hash`` options its pin carries."""
    counts: dict[str, int] = {}
    current = None
    for line in text.splitlines():
        if match := _PIN.match(line):
            current = canonicalize_name(match["name"])
            counts[current] = 0
        elif current and line.strip().startswith("--hash=sha256:"):
            counts[current] += 1
        elif not line.startswith(" "):
            current = None
    return counts


def project_requirements(pyproject: dict) -> dict[str, list[Requirement]]:
    """The project's requirements by group: ``core`` and each extra, self-references dropped
    (``all`` lists the other extras as ``syncd[...]``)."""
    project = pyproject["project"]
    groups = {"core": project["dependencies"], **project["optional-dependencies"]}
    return {
        group: [
            requirement
            for requirement in map(Requirement, specs)
            if canonicalize_name(requirement.name) != PROJECT
        ]
        for group, specs in groups.items()
    }


def extra_requirements(requirement: Requirement) -> list[Requirement]:
    """What the extras of ``requirement`` (``psycopg[binary]``) add, from the installed
    distribution's metadata."""
    added = []
    for spec in importlib.metadata.requires(requirement.name) or []:
        dependency = Requirement(spec)
        marker = dependency.marker
        if (
            marker is not None
            and "extra" in str(marker)
            and any(marker.evaluate({"extra": extra}) for extra in requirement.extras)
        ):
            dependency.marker = None
            added.append(dependency)
    return added


def disagreements(pyproject: dict, pins: dict[str, Version]) -> list[str]:
    """Every requirement of ``pyproject`` (with its extras' requirements) that ``pins`` does
    not pin, or pins outside its specifier."""
    problems = []
    for group, requirements in project_requirements(pyproject).items():
        for requirement in requirements:
            for wanted in [requirement, *extra_requirements(requirement)]:
                pinned = pins.get(canonicalize_name(wanted.name))
                if pinned is None:
                    problems.append(f"{group}: {wanted} is not pinned")
                elif not wanted.specifier.contains(pinned, prereleases=True):
                    problems.append(f"{group}: {wanted} but the lock pins {pinned}")
    return problems


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def pins() -> dict[str, Version]:
    return lock_pins(LOCK.read_text())


def test_every_requirement_of_pyproject_is_pinned_within_its_specifier(pyproject, pins):
    assert disagreements(pyproject, pins) == [], "pyproject.toml changed: run `make lock`"


def test_the_check_sees_a_missing_pin_and_a_pin_outside_the_specifier(pyproject, pins):
    broken = dict(pins)
    del broken["httpx"]
    broken["pydantic"] = Version("3.0.0")
    del broken["psycopg-binary"]  # what psycopg[binary] adds
    assert disagreements(pyproject, broken) == [
        "core: pydantic<3,>=2.7 but the lock pins 3.0.0",
        # psycopg[binary] asks for psycopg-binary of its own version
        f"core: psycopg-binary=={pins['psycopg']} is not pinned",
        "core: httpx<1,>=0.27 is not pinned",
    ]


def test_every_pin_carries_a_hash_and_the_lock_has_no_unpinned_line(pins):
    text = LOCK.read_text()
    hashes = lock_hashes(text)
    assert set(hashes) == set(pins)
    assert [name for name, count in hashes.items() if count == 0] == []
    requirement_lines = [
        line
        for line in text.splitlines()
        if line and not line.startswith((" ", "#")) and not _PIN.match(line)
    ]
    assert requirement_lines == []  # no URL, path or editable requirement: --require-hashes


def test_the_environment_runs_the_locked_versions_of_the_core_packages(pyproject, pins):
    core = project_requirements(pyproject)["core"]
    wanted = {canonicalize_name(r.name) for r in core}
    for requirement in core:
        wanted |= {canonicalize_name(r.name) for r in extra_requirements(requirement)}
    installed = {name: Version(importlib.metadata.version(name)) for name in sorted(wanted)}
    assert installed == {name: pins[name] for name in sorted(wanted)}, (
        "this environment is not the lock's: `make .venv/.installed` reinstalls it"
    )
