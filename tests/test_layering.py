"""The library's layering (DESIGN.md): kernels below experiments, checked on the sources."""

import ast
import subprocess
import sys
from pathlib import Path

import rsslib

PACKAGE = Path(rsslib.__file__).parent


def is_module(package: str, name: str) -> bool:
    folder = PACKAGE.parent.joinpath(*package.split("."))
    return (folder / f"{name}.py").exists() or (folder / name / "__init__.py").exists()


def private_imports(path: Path) -> list[str]:
    """``from rsslib.m import _name`` and ``m._name`` where m is a public rsslib module."""
    tree = ast.parse(path.read_text())
    modules, found = {}, []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rsslib"):
            private_module = node.module.split(".")[-1].startswith("_")
            for alias in node.names:
                if is_module(node.module, alias.name):
                    modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                elif alias.name.startswith("_") and not private_module:
                    found.append(f"{path.name}:{node.lineno}: {node.module}.{alias.name}")
                elif not alias.name.startswith("_"):
                    modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("rsslib"):
                    modules[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            owner = modules.get(ast.unparse(node.value))
            if (
                owner
                and not owner.split(".")[-1].startswith("_")
                and not node.attr.startswith("__")
            ):
                found.append(f"{path.name}:{node.lineno}: {owner}.{node.attr}")
    return found


def test_no_module_imports_another_modules_private_name():
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in private_imports(path)]
    assert found == []


def test_the_check_sees_a_private_import(tmp_path):
    # sanity check of the scanner itself: two private names of solve, none of _mitm
    path = tmp_path / "probe.py"
    path.write_text(
        "from rsslib.solve import _workspace\nfrom rsslib import _mitm, solve\n"
        "solve._check_size\n_mitm.blocks\nfrom rsslib._validate import _read_reals\n"
    )
    assert [hit.split(": ")[1] for hit in private_imports(path)] == [
        "rsslib.solve._workspace",
        "rsslib.solve._check_size",
    ]


def test_core_modules_do_not_import_slth_or_torch():
    core = [p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__")]
    code = (
        "import importlib, sys\n"
        f"for name in {core!r}:\n"
        "    importlib.import_module('rsslib.' + name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('rsslib.slth') or m == 'torch'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_prune_digits_is_still_found_through_weights():
    from rsslib import weights
    from rsslib.slth.experiments import digits

    assert weights.prune_digits is digits.prune_digits


def test_scripts_benchmarks_and_tests_use_no_private_name_of_a_public_module():
    root = PACKAGE.parent
    paths = [p for d in ("scripts", "benchmarks", "tests") for p in sorted((root / d).glob("*.py"))]
    assert paths, "the repository's scripts, benchmarks and tests were not found"
    found = [hit for path in paths for hit in private_imports(path)]
    assert found == []


def experiment_imports(path: Path) -> list[str]:
    """Imports of ``rsslib.slth.experiments`` (any form) in one source file."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        if any(n.startswith("rsslib.slth.experiments") for n in names):
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_the_construction_layer_imports_no_experiment():
    construction = [
        p for p in sorted((PACKAGE / "slth").glob("*.py")) if p.parent.name != "experiments"
    ]
    assert len(construction) > 5
    assert [hit for path in construction for hit in experiment_imports(path)] == []


def test_the_experiment_check_sees_an_experiment_import(tmp_path):
    # sanity check of the scanner: three spellings of the same arrow
    path = tmp_path / "probe.py"
    path.write_text(
        "from rsslib.slth.experiments import lenet\nimport rsslib.slth.experiments.digits\n"
        "def f():\n    from rsslib.slth import experiments\n"
    )
    assert len(experiment_imports(path)) == 3
