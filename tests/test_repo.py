"""The repository keeps its promises: pinned requirements, two-command README, CI, ruff, the pre-commit hooks."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SPREAD_FIXTURES


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


def test_solution_and_exercise_notebooks_carry_no_outputs():
    """No outputs or execution counts are committed (the pre-commit hook strips them): solutions/ would
    leak what an answer prints, and exercises/ must stay a fresh release."""
    notebooks = [path for folder in ("solutions", "exercises") for path in sorted((ROOT / folder).rglob("*.ipynb"))
                 if ".ipynb_checkpoints" not in path.parts]
    assert len(notebooks) >= 2
    for path in notebooks:
        cells = json.loads(path.read_text())["cells"]
        executed = [index for index, cell in enumerate(cells) if cell["cell_type"] == "code"
                    and (cell.get("outputs") or cell.get("execution_count") is not None)]
        assert not executed, (f"{path.relative_to(ROOT)}: outputs in code cells {executed}; strip them: "
                              f".venv/bin/python tools/strip_outputs.py {path.relative_to(ROOT)}")


def test_the_pre_commit_hooks_fetch_nothing():
    """Only local hooks, run with the project's environment: pre-commit downloads no hook repository
    (CI and students reach the package registries, nothing else)."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    assert config["repos"] and all(repo["repo"] == "local" for repo in config["repos"])
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff", "strip-notebook-outputs"} <= set(hooks)
    assert all(hook["language"] in {"system", "unsupported"} for hook in hooks.values()), hooks


def committed_files() -> list[str]:
    """What `git add -A` would commit: the tracked files and the new ones, not the ignored ones."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    return sorted({name for name in listed.stdout.split("\0") if name and os.path.lexists(ROOT / name)})


def test_the_pre_commit_hooks_pass_on_the_repository(tmp_path):
    """CI refuses what the hooks refuse: pre-commit itself runs every hook of .pre-commit-config.yaml on
    every file, as `pre-commit run --all-files` does, in a copy of the repository (the notebook hook
    strips in place: it must find nothing to strip) that uses this environment as its .venv."""
    copy = tmp_path / "repo"
    for name in committed_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name, follow_symlinks=False)
    (copy / ".venv").symlink_to(sys.prefix)  # the hooks run .venv/bin/...; .gitignore leaves it out
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}  # not the checkout's
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    for command in (["git", "init", "-q"], ["git", "add", "-A"]):
        subprocess.run(command, cwd=copy, env=env, check=True, capture_output=True)
    pre_commit = Path(sys.executable).with_name("pre-commit")
    result = subprocess.run([str(pre_commit), "run", "--all-files", "--color", "never"], cwd=copy, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_shared_fixture_is_set_up_on_one_worker(request):
    """The tests of each costly module or session fixture share one xdist_group (tests/conftest.py), so
    under pytest-xdist it is set up once, not once per worker. Checked over all the tests this run
    collected, before -m or -k deselected any."""
    spread = request.config.stash[SPREAD_FIXTURES]
    assert not spread, f"fixtures whose tests are not in one xdist_group (one worker each): {spread}"


@pytest.mark.xdist_group("repo")
def test_the_xdist_groups_reach_the_scheduler(request):
    """pytest-xdist's loadgroup scheduler reads a test's group from its node id ("...@<group>"): without
    it, the groups are silently ignored (pytest-xdist 3.8.0 with pytest 9.2: tests/conftest.py)."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not a pytest-xdist worker with --dist loadgroup (make test runs one)")
    assert request.node.nodeid.endswith("@repo"), request.node.nodeid
