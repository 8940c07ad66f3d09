"""The code's own checks run with the suite, so CI keeps them: ruff (style, and ``S608`` —
no SQL built from strings), mypy ``--strict`` over every package, and the layer contract
(imports flow ``gis`` → ``registries`` → ``ogc``/``tiles``/``ingest``/``extracts`` → ``app``).

``make lint`` runs the same three. The checkers' caches go to the test's folder (mypy) or
nowhere (ruff, import-linter), so the work tree is left as it was.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PACKAGES = ("gis", "registries", "ogc", "tiles", "ingest", "extracts", "app")


def _run(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_every_package_is_in_the_layer_contract_and_in_make_lint() -> None:
    """A new top-level package would escape both the type check and the layer contract."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    on_disk = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "migrations"}
    assert on_disk == set(PACKAGES)
    for name in PACKAGES:
        assert f'"{name}"' in pyproject.split("root_packages", 1)[1].split("\n", 1)[0]
    assert f"mypy {' '.join(PACKAGES)}" in makefile


def test_ruff_passes() -> None:
    out = _run([str(BIN / "ruff"), "check", "--no-cache", "."])
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict_passes_on_every_package(tmp_path: Path) -> None:
    out = _run([str(BIN / "mypy"), "--cache-dir", str(tmp_path / "mypy"), *PACKAGES])
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success: no issues found" in out.stdout


def test_imports_flow_one_way() -> None:
    out = _run([str(BIN / "lint-imports"), "--no-cache"])
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 kept, 0 broken" in out.stdout


@pytest.mark.parametrize("checker", ["mypy", "lint-imports"])
def test_the_checks_fail_on_a_broken_tree(tmp_path: Path, checker: str) -> None:
    """The checks above can fail: a copy of the tree with a wrong type / an import against the
    layers is refused."""
    tree = tmp_path / "tree"
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    if checker == "mypy":
        (tree / "gis" / "broken_for_test.py").write_text(
            "def half(n: int) -> int:\n    return n / 2\n", encoding="utf-8")
        out = _run([str(BIN / "mypy"), "--cache-dir", str(tmp_path / "mypy"), "gis"], cwd=tree)
        assert out.returncode != 0 and "broken_for_test.py" in out.stdout, out.stdout
    else:
        (tree / "gis" / "broken_for_test.py").write_text("import app.cli\n", encoding="utf-8")
        out = _run([str(BIN / "lint-imports"), "--no-cache"], cwd=tree)
        assert out.returncode != 0 and "BROKEN" in out.stdout, out.stdout
