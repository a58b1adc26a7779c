"""Check that an edition of the course is one edition: version, changelog, citation and refs agree.

    python tools/release.py check                    # main, or the release the setup cells name
    python tools/release.py check --release v1.0.0   # the same as LSTM_BOOK_RELEASE=v1.0.0
    python tools/release.py version                  # the version, from pyproject.toml

The version lives in one place, ``[project] version`` in pyproject.toml. A release ``vX.Y.Z``
(asked for with ``--release`` or ``LSTM_BOOK_RELEASE``, or named by the setup cells' ref) needs:
pyproject's version X.Y.Z; CHANGELOG.md's latest entry ``## [X.Y.Z] - DATE`` with nothing left
under ``[Unreleased]``; CITATION.cff's ``version: X.Y.Z`` and ``date-released: DATE``; every setup
cell cloning ``--branch vX.Y.Z``; the Colab buttons (``repository.branch`` in _config.yml) on
``vX.Y.Z``. A main build needs every ref on ``main``, CITATION.cff's version equal to
pyproject's, and the changelog's latest entry, if there is one, equal to it as well.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import keepachangelog
import nbformat
import yaml
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
MAIN = "main"
ENV = "LSTM_BOOK_RELEASE"
TAG = re.compile(r"^v(\d+\.\d+\.\d+)$")
CLONE_REF = re.compile(r"""["'](?:--branch|-b)["']\s*,\s*["']([^"']+)["']""")


@dataclass(frozen=True)
class Edition:
    """What each file says the edition is."""

    version: str  # pyproject.toml
    changelog_latest: str | None  # the newest released entry of CHANGELOG.md
    changelog_date: str | None
    unreleased: list[str]  # lines under [Unreleased]
    citation_version: str | None
    citation_date: str | None
    setup_refs: dict[str, str]  # notebook -> the ref its setup cell clones
    colab_ref: str  # _config.yml repository.branch


def project_version(root: Path = ROOT) -> str:
    """``[project] version`` from pyproject.toml, checked to be a plain X.Y.Z."""
    version = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    try:
        Version(version)
    except InvalidVersion as error:
        raise ValueError(f"pyproject.toml: version {version!r} is not a version (write 1.2.3)") from error
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise ValueError(f"pyproject.toml: write the version as MAJOR.MINOR.PATCH (1.2.3), got {version!r}")
    return version


def setup_ref(source: str) -> str:
    """The ref a setup cell clones: its ``--branch``, or main when it names none."""
    match = CLONE_REF.search(source)
    return match.group(1) if match else MAIN


def notebooks(root: Path) -> list[Path]:
    return sorted((root / "notebooks").glob("*.ipynb")) + sorted((root / "assignments").glob("a*/a*.ipynb"))


def read_edition(root: Path = ROOT) -> Edition:
    """Read every file that names the edition."""
    changes = keepachangelog.to_dict(str(root / "CHANGELOG.md"), show_unreleased=True)
    released = [v for k, v in changes.items() if k != "unreleased"]
    latest = released[0]["metadata"] if released else {}
    unreleased = changes.get("unreleased", {})
    citation = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))
    refs = {}
    for path in notebooks(root):
        cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        refs[str(path.relative_to(root))] = setup_ref(cells[0].source) if cells else MAIN
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    return Edition(
        version=project_version(root),
        changelog_latest=latest.get("version"),
        changelog_date=latest.get("release_date"),
        unreleased=[line for key, lines in unreleased.items() if key != "metadata" for line in lines],
        citation_version=None if citation.get("version") is None else str(citation["version"]),
        citation_date=None if citation.get("date-released") is None else str(citation["date-released"]),
        setup_refs=refs,
        colab_ref=str(config.get("repository", {}).get("branch", "master")),
    )


def release_asked(flag: str | None, edition: Edition) -> str | None:
    """The release being checked: the flag, else the environment, else a tag the setup cells name."""
    asked = flag or os.environ.get(ENV) or None
    if asked is None:
        asked = next((ref for ref in edition.setup_refs.values() if TAG.match(ref)), None)
    if asked is not None and not TAG.match(asked):
        raise ValueError(f"a release is named vMAJOR.MINOR.PATCH (v1.0.0), got {asked!r}")
    return asked


def problems(edition: Edition, release: str | None) -> list[str]:
    """Every disagreement between the files, for a release or for main."""
    ref = release or MAIN
    found = [f"{name}: setup cell clones {got!r}, expected {ref!r} (tools/notebooks.py sync-setup)"
             for name, got in edition.setup_refs.items() if got != ref]
    if edition.colab_ref != ref:
        found.append(f"_config.yml: repository.branch is {edition.colab_ref!r}, expected {ref!r} "
                     "(Colab buttons)")
    if edition.citation_version != edition.version:
        found.append(f"CITATION.cff: version {edition.citation_version!r}, expected {edition.version!r} "
                     "(pyproject.toml)")
    if release is None:
        if edition.changelog_latest not in (None, edition.version):
            found.append(f"CHANGELOG.md: latest entry {edition.changelog_latest!r} but pyproject.toml says "
                         f"{edition.version!r}")
        return found
    version = TAG.match(release).group(1)  # type: ignore[union-attr]
    if edition.version != version:
        found.append(f"pyproject.toml: version {edition.version!r}, expected {version!r} for {release}")
    if edition.changelog_latest != version:
        found.append(f"CHANGELOG.md: latest entry is {edition.changelog_latest!r}, expected "
                     f"'## [{version}] - YYYY-MM-DD'")
    elif edition.citation_date != edition.changelog_date:
        found.append(f"CITATION.cff: date-released {edition.citation_date!r}, "
                     f"expected {edition.changelog_date!r} (the changelog's date)")
    if edition.unreleased:
        found.append(f"CHANGELOG.md: {len(edition.unreleased)} entries still under [Unreleased]: move them "
                     f"into [{version}]")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "version"])
    parser.add_argument("--release", help=f"the release to check, e.g. v1.0.0 (or set {ENV})")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.command == "version":
        print(project_version(args.root))
        return 0
    edition = read_edition(args.root)
    release = release_asked(args.release, edition)
    found = problems(edition, release)
    for problem in found:
        print(problem)
    what = f"release {release}" if release else f"main (version {edition.version})"
    print(f"{what}: {'consistent' if not found else f'{len(found)} problems'}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
