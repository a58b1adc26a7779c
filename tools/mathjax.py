"""Put MathJax into the site itself, so that the built book renders mathematics offline.

    python tools/mathjax.py          # ensure _static/mathjax/tex-chtml.js and its fonts

The package comes from the npm registry (``npm pack mathjax@3.2.2``), is checked against its
SHA-256, and only the files the site uses are extracted: ``tex-chtml.js``, the CHTML fonts and
the license. ``_config.yml`` points ``mathjax_path`` at ``mathjax/tex-chtml.js`` in ``_static``.
Nothing is done when the files are already there.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION = "3.2.2"
SHA256 = "1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09"
TARGET = ROOT / "_static" / "mathjax"
WANTED_PREFIXES = ("package/es5/tex-chtml.js", "package/es5/output/chtml/fonts/woff-v2/", "package/LICENSE")


def is_installed(target: Path = TARGET) -> bool:
    return (target / "tex-chtml.js").is_file() and any((target / "output/chtml/fonts/woff-v2").glob("*.woff"))


def fetch_tarball(directory: Path) -> Path:
    """``npm pack`` the pinned MathJax into ``directory``; return the tarball's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm is needed once to fetch MathJax for the offline site: install Node.js "
            "(Debian: `apt-get install npm`), then rerun"
        )
    subprocess.run([npm, "pack", f"mathjax@{VERSION}", "--silent"], cwd=directory, check=True,
                   stdout=subprocess.DEVNULL)
    return directory / f"mathjax-{VERSION}.tgz"


def extract(tarball: Path, target: Path = TARGET, sha256: str = SHA256) -> None:
    """Check the tarball's hash and copy the wanted regular files, refusing unsafe member names."""
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != sha256:
        raise RuntimeError(f"{tarball.name}: SHA-256 {digest} does not match the pinned {sha256}")
    staging = Path(tempfile.mkdtemp(dir=target.parent if target.parent.exists() else None))
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            name = member.name
            if name.startswith("/") or ".." in Path(name).parts:
                raise RuntimeError(f"{tarball.name}: refusing the unsafe member {name!r}")
            if not member.isfile() or not name.startswith(WANTED_PREFIXES):
                continue
            relative = Path(name).relative_to("package/es5") if name.startswith("package/es5/") \
                else Path(Path(name).name)
            destination = staging / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            destination.write_bytes(source.read())
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(target)


def main() -> int:
    if is_installed():
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        extract(fetch_tarball(Path(tmp)))
    print(f"MathJax {VERSION} installed into {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
