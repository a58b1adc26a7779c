"""The whole book as one PDF, through LaTeX (Debian's TeX Live), and the checks a reader needs.

    python tools/pdf.py build [--record ci/pdf-build.txt]   # _build/pdf/_build/latex/book.pdf
    python tools/pdf.py check [PDF]                         # titles, references, no raw markup

``build`` writes ``_config.yml`` with the PDF's settings added (xelatex, fonts that cover the
outputs' characters, the solutions extension ``tools/pdf_solutions.py``) to ``_build/pdf/`` and
runs ``jupyter-book build --builder pdflatex`` with it; ``_config.yml`` itself is unchanged.
``check`` converts the PDF with ``pdftotext`` and names every problem it finds: a chapter title
missing, an unresolved reference (``??``), LaTeX or MyST markup printed as text.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "_build" / "pdf"
PDF = OUT / "_build" / "latex" / "book.pdf"
TOOLS = ("xelatex", "latexmk", "pdftotext", "pdfinfo")

# Fonts from Debian (fonts-dejavu): DejaVu covers the box and block characters of progress bars.
FONTS = r"""
\setmainfont{DejaVu Serif}[Scale=0.92]
\setsansfont{DejaVu Sans}[Scale=0.92]
\setmonofont{DejaVu Sans Mono}[Scale=0.8]
"""
# Printed as text, these mean a directive, a role or LaTeX did not render.
RAW_MARKUP = {
    "a MyST directive": re.compile(r"```\{|^:::|\{(exercise|solution|figure|code-cell|bibliography)\}", re.M),
    "a MyST role": re.compile(r"\{(cite|ref|doc|numref|eq|math|download)(:[a-z]+)?\}`"),
    "a LaTeX command": re.compile(r"\\(begin|end|section|textbf|emph|frac|label|ref|cite)\b[{\[]"),
    "HTML": re.compile(r"</?(details|summary|div|span|br)\b"),
}


def pdf_config(config_path: Path = ROOT / "_config.yml") -> dict:
    """``_config.yml`` plus the PDF's settings."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["latex"] = {**config.get("latex", {}), "latex_engine": "xelatex", "use_jupyterbook_latex": False,
                       "latex_documents": {"targetname": "book.tex"}}
    sphinx = config.setdefault("sphinx", {})
    sphinx["extra_extensions"] = [e for e in sphinx.get("extra_extensions", []) if _importable(e)]
    local = {**sphinx.get("local_extensions", {}), "pdf_solutions": "tools/", "pdf_tables": "tools/"}
    sphinx["local_extensions"] = {name: str(ROOT / path) for name, path in local.items()}  # beside the config
    settings = sphinx.setdefault("config", {})
    settings["latex_elements"] = {"fontpkg": FONTS, "papersize": "a4paper", "pointsize": "10pt",
                                  "figure_align": "H"}
    settings["latex_show_urls"] = "no"
    return config


def _importable(extension: str) -> bool:
    """Whether an extension can be loaded here; one that cannot is left out of the PDF, with a note."""
    if importlib.util.find_spec(extension.split(".")[0]) is not None:
        return True
    print(f"note: {extension} is not installed here; the PDF is built without it")
    return False


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def build(record: Path | None) -> Path:
    """Build the PDF; optionally record how long it took and its page count."""
    missing = missing_tools()
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: run `make pdf` (it installs Debian's TeX Live)")
    OUT.mkdir(parents=True, exist_ok=True)
    config = OUT / "pdf_config.yml"
    config.write_text(yaml.safe_dump(pdf_config(), sort_keys=False), encoding="utf-8")
    start = time.monotonic()
    jb = Path(sys.executable).with_name("jupyter-book")
    subprocess.run([str(jb), "build", str(ROOT), "--builder", "pdflatex", "--config", str(config),
                    "--path-output", str(OUT)], check=True)
    seconds = time.monotonic() - start
    if not PDF.is_file():
        raise SystemExit(f"the build wrote no {PDF.relative_to(ROOT)}: see the LaTeX log beside it")
    pages = page_count(PDF)
    print(f"PDF {PDF.relative_to(ROOT)}: {pages} pages in {seconds:.0f} s")
    if record:
        write_record(record, seconds, pages)
    return PDF


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]


def write_record(path: Path, seconds: float, pages: int) -> None:
    """Append one run to the record, atomically."""
    tex = subprocess.run(["xelatex", "--version"], capture_output=True, text=True, check=False).stdout
    line = (f"{time.strftime('%Y-%m-%d')}  {pages} pages  {seconds:.0f} s  "
            f"{tex.splitlines()[0] if tex else 'xelatex'}  problems: {len(problems(PDF))}\n")
    old = path.read_text(encoding="utf-8") if path.exists() else (
        "# `make pdf` runs: date, pages, seconds (2 CPU cores), TeX engine, problems found by `check`\n")
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8",
                                     suffix=".tmp") as tmp:
        tmp.write(old + line)
    Path(tmp.name).replace(path)


def chapter_titles(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """The first heading of every page in the table of contents, as the PDF prints it."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    files = [toc["root"], *(c["file"] for part in toc["parts"] for c in part["chapters"])]
    return [_title(ROOT / name) for name in files]


def _title(stem: Path) -> str:
    if stem.with_suffix(".ipynb").exists():
        cells = json.loads(stem.with_suffix(".ipynb").read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        text = stem.with_suffix(".md").read_text(encoding="utf-8")
    heading = re.search(r"^# (.+)$", text, re.M)
    if heading is None:
        raise ValueError(f"{stem}: no '# ' title line, so the PDF check cannot look for it")
    return re.sub(r"[`*_]", "", heading.group(1)).strip()


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def problems(pdf: Path, titles: list[str] | None = None) -> list[str]:
    """Everything a reader would stumble on that text extraction can see."""
    text = pdf_text(pdf)
    flat = re.sub(r"\s+", " ", text)
    found = [f"chapter title missing: {t!r}" for t in (titles or chapter_titles())
             if re.sub(r"\s+", " ", t) not in flat]
    found += [f"unresolved reference '??' near: {flat[max(0, m.start() - 60):m.end() + 20]!r}"
              for m in re.finditer(r"\?\?", flat)]
    for what, pattern in RAW_MARKUP.items():
        found += [f"{what} printed as text: {m.group(0)!r} near {flat[max(0, m.start() - 40):m.end() + 40]!r}"
                  for m in pattern.finditer(text)]
    for part in ("Solutions to the exercises",):
        if part not in flat:
            found.append(f"no {part!r} in the PDF")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["build", "check"])
    parser.add_argument("pdf", nargs="?", type=Path, default=PDF, help="the PDF to check (default: built)")
    parser.add_argument("--record", type=Path, help="append the build's time and page count to this file")
    args = parser.parse_args(argv)
    pdf = build(args.record) if args.command == "build" else args.pdf
    if not pdf.is_file():
        raise SystemExit(f"no PDF at {pdf}: run `make pdf` first")
    found = problems(pdf)
    for problem in found:
        print(problem)
    print(f"{pdf}: {len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
