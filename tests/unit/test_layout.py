"""The layout shows where things go: tests by kind, and nothing outside tests/ importing them."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KINDS = {"unit", "e2e", "services", "browser", "stories", "support", "data"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_nothing_outside_tests_imports_from_tests():
    for folder in ("scripts", "harness", "dvt_triage", "rasa_plugins", "actions", "web"):
        for path in (ROOT / folder).rglob("*.py"):
            if "node_modules" in path.parts:
                continue
            bad = {m for m in imported_modules(path) if m == "tests" or m.startswith("tests.")}
            assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_every_test_lives_in_the_folder_of_its_kind():
    assert {p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and p.name != "__pycache__"} == KINDS
    assert not list((ROOT / "tests").glob("test_*")), "a test at the top of tests/: put it in the folder of its kind"
    for path in (ROOT / "tests" / "support").glob("*.py"):
        assert not path.name.startswith("test_"), path


def test_unit_tests_start_no_server_process():
    starts = ("start_actions(", "start_rasa(", "Server(")
    for path in (ROOT / "tests" / "unit").glob("test_*.py"):
        if path != Path(__file__).resolve():
            assert not any(call in path.read_text() for call in starts), f"{path.name}: move it to tests/e2e"
