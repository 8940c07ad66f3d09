"""scripts/python.sh: the bootstrap's Python >= 3.12 — found where the system has one, and
otherwise one error naming the command that fixes it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import shared_tmp

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ("bash", "dirname", "id", "awk", "grep", "tail")


def fake_bin(folder: Path, **pythons: str) -> Path:
    """Return a folder holding the shell tools the script needs and the given pythons."""
    folder.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (folder / tool).symlink_to(found)
    for name, target in pythons.items():
        (folder / name.replace("_", ".")).symlink_to(target)
    return folder


def run(env: dict[str, str], user: str | None = None) -> subprocess.CompletedProcess[str]:
    argv = ["bash", str(ROOT / "scripts" / "python.sh")]
    if user:
        argv = [shutil.which("runuser") or "runuser", "-u", user, "--", *argv]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)


def test_a_python_312_on_the_path_is_used() -> None:
    work = shared_tmp("hromada-python-")
    try:
        bin_dir = fake_bin(work / "bin", python3_12=sys.executable)
        env = {"PATH": str(bin_dir), "HOME": str(work), "GIS_NO_UV": "1"}
        result = run(env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == str(bin_dir / "python3.12")
        chosen = run({**env, "GIS_PYTHON": sys.executable})  # GIS_PYTHON comes first
        assert chosen.stdout.strip() == sys.executable
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_without_one_the_error_names_the_fix() -> None:
    work = shared_tmp("hromada-nopython-")
    try:
        bin_dir = fake_bin(work / "bin")
        (bin_dir / "python3").write_text("#!/bin/sh\nexit 1\n")  # an old python3, say 3.11
        (bin_dir / "python3").chmod(0o755)
        env = {"PATH": str(bin_dir), "HOME": "/nonexistent", "GIS_NO_UV": "1",
               "GIS_PYTHON_DIRS": str(work / "none")}
        result = run(env, user="nobody")  # not root: the distribution's packages are left alone
        assert result.returncode == 1 and result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert lines[0].startswith("error: no Python >= 3.12 found (pygeoapi needs it")
        assert "Fix: GIS_PYTHON=/path/to/python3.12 make run" in lines
        assert any("uv python install 3.12 --install-dir .python" in ln for ln in lines)
    finally:
        shutil.rmtree(work, ignore_errors=True)
