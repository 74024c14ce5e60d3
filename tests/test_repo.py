"""The repository keeps its promises: pinned requirements, two-command README, CI, ruff."""

import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def requirement_lines(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+!]+", line), f"{name}: {line!r} is not pinned"
            package, version = line.split("==")
            pins[package.lower().replace("_", "-")] = version
    return pins


def test_requirements_are_pinned_and_agree():
    wanted, locked = requirement_lines("requirements.in"), requirement_lines("requirements.txt")
    for package, version in wanted.items():
        assert locked.get(package) == version, (
            f"{package}: requirements.in has {version}, requirements.txt {locked.get(package)}"
        )


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", readme, re.S)
    assert commands, "README has no command block"
    first = [line for line in commands[0].splitlines() if line and not line.startswith("#")]
    assert first == ["make book", "make test"]


def test_ci_runs_the_readme_test_command():
    run = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", run, re.M)


def test_ruff_is_clean():
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(ruff), "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
