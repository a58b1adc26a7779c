"""The offline-MathJax installer and the browser test's helpers (the browser run itself is `make site-test`)."""

import hashlib
import inspect
import io
import re
import tarfile
from pathlib import Path

import pytest

from tools import mathjax, site_test


def _tarball(path: Path, members: dict[str, bytes]) -> str:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_extract_keeps_only_the_files_the_site_uses(tmp_path):
    archive = tmp_path / "mathjax.tgz"
    digest = _tarball(archive, {
        "package/es5/tex-chtml.js": b"// mathjax",
        "package/es5/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff": b"font",
        "package/es5/tex-svg-full.js": b"// not needed",
        "package/LICENSE": b"Apache-2.0",
    })
    target = tmp_path / "_static" / "mathjax"
    target.parent.mkdir()
    mathjax.extract(archive, target, sha256=digest)
    assert (target / "tex-chtml.js").read_bytes() == b"// mathjax"
    assert (target / "output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff").is_file()
    assert (target / "LICENSE").is_file()
    assert not (target / "tex-svg-full.js").exists()
    assert mathjax.is_installed(target)


def test_extract_refuses_a_wrong_hash_and_leaves_nothing(tmp_path):
    archive = tmp_path / "mathjax.tgz"
    _tarball(archive, {"package/es5/tex-chtml.js": b"// tampered"})
    target = tmp_path / "mathjax"
    with pytest.raises(RuntimeError, match="does not match"):
        mathjax.extract(archive, target, sha256="0" * 64)
    assert not target.exists()


@pytest.mark.parametrize("name", ["../evil.js", "/etc/evil.js", "package/es5/../../evil.js"])
def test_extract_refuses_unsafe_members(tmp_path, name):
    archive = tmp_path / "mathjax.tgz"
    digest = _tarball(archive, {name: b"x"})
    with pytest.raises(RuntimeError, match="unsafe member"):
        mathjax.extract(archive, tmp_path / "mathjax", sha256=digest)


def test_pinned_hash_is_a_lowercase_sha256_and_is_the_default():
    # hashlib's hexdigest is lowercase hex: any other spelling could never match a download.
    assert re.fullmatch(r"[0-9a-f]{64}", mathjax.SHA256), mathjax.SHA256
    assert inspect.signature(mathjax.extract).parameters["sha256"].default == mathjax.SHA256


def test_toc_pages_list_the_root_and_every_chapter():
    pages = site_test.toc_pages()
    assert pages[0] == "book/intro"
    assert "notebooks/05_vectorized_cell" in pages and "notebooks/12_imdb_glove_bilstm" in pages
    assert set(site_test.SCREENSHOTS.values()) <= set(pages)


def test_link_targets_are_checked_against_the_built_files(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "intro.html").write_text("")
    base = "http://127.0.0.1:8000/book/intro.html"
    assert site_test._existing_target(tmp_path, base, "intro.html#goals") is True
    assert site_test._existing_target(tmp_path, base, "../notebooks/missing.html") is False
    assert site_test._existing_target(tmp_path, base, "https://github.com/lstm-book/lstm-book") is None
