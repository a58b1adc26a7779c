"""The Chinese edition: catalogs kept in step with the English source, and its build.

The English notebooks and pages are the source. Sphinx's gettext builder extracts every prose
message (one ``.pot`` per page); the Chinese text lives in ``locales/zh_CN/LC_MESSAGES/**.po``;
a message without a translation (or a fuzzy one, after its English changed) shows in English on
the Chinese site, never as an empty string.

    python tools/i18n.py update           # extract, merge into the .po files (sphinx-intl)
    python tools/i18n.py check            # coverage per page, markup and glossary problems
    python tools/i18n.py check --release  # the same, failing below 100% or on a fuzzy entry
    python tools/i18n.py build [--strict] # the Chinese site into _build/html/zh

``check`` fails, in any mode, on a translation that breaks what must stay as written: the
mathematics, inline code and roles, link targets, HTML tags and the numbers of its English
message, a chapter title's escaped number, and the glossary's terms (book/glossary.md).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE = "zh_CN"
PO_DIR = ROOT / "locales" / LANGUAGE / "LC_MESSAGES"
GLOSSARY = ROOT / "book" / "glossary.md"
ZH_CONFIG = ROOT / "_config_zh.yml"
ZH_TITLE = "LSTM：从一个门到双向 LSTM 情感分类器"
BIN = Path(sys.executable).parent

# What a translation keeps exactly as its English message has it.
MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.DOTALL)
CODE = re.compile(r"(?:\{[\w:-]+\})?`[^`]+`")
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])")
ROLE_WITH_TEXT = re.compile(r"^(\{(?:doc|ref|numref|download)\})`[^`<]*<([^`>]+)>`$")
CJK = re.compile(r"[\u3400-\u9fff]")
NUMBERED_TITLE = re.compile(r"^(\d+)\. ")


@dataclass
class Coverage:
    page: str
    total: int = 0
    translated: int = 0
    fuzzy: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


def message_text(message_id: object) -> str:
    return message_id if isinstance(message_id, str) else str(message_id[0])  # type: ignore[index]


def role_target(markup: str) -> str:
    """A cross-reference role without its link text (``{doc}`chapter 6 <x>``` -> ``{doc}`<x>```):
    the text is translated, the target stays."""
    return ROLE_WITH_TEXT.sub(r"\1`<\2>`", markup)


def prose(text: str) -> str:
    """A message without its mathematics, code, link targets and tags: what a reader reads."""
    text = MATH.sub(" ", text)
    text = CODE.sub(" ", text)
    text = LINK_TARGET.sub("]", text)
    return TAG.sub(" ", text)


def verbatim(message: str) -> bool:
    """A message that reads the same in both editions (display maths, code, a Chinese term)."""
    if message.startswith("\n") or CJK.search(message):
        return True
    return not re.search(r"[A-Za-z]{2,}", re.sub(r"https?://\S+", " ", prose(message)))


def glossary(path: Path = GLOSSARY) -> list[tuple[str, str]]:
    """(English, Chinese) pairs of the glossary's table."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and CJK.search(cells[1]) and cells[0] != "English":
            pairs.append((cells[0], cells[1]))
        elif len(cells) >= 3 and cells[0] == cells[1] and re.fullmatch(r"[a-z -]+", cells[0]):
            pairs.append((cells[0], cells[1]))
    return pairs


def problems(source: str, translation: str, terms: list[tuple[str, str]],
             numbers_reviewed: bool = False) -> list[str]:
    """What a translation changed that must stay as written, and glossary terms it missed.

    ``numbers_reviewed``: the entry carries the translator comment ``# numbers: reviewed`` (a
    number written the Chinese way, such as 230 万 for 2.3 million, checked by a person).
    """
    if source.startswith("\n") and translation != source:
        # Sphinx 7 parses a translated display formula as a literal block ("::" + formula), which
        # MyST shows as text: a formula's message must stay a copy of the English.
        return ["a display formula must stay exactly as in English (a translated one breaks)"]
    found = []
    for name, pattern in (("mathematics", MATH), ("code or role", CODE), ("link target", LINK_TARGET),
                          ("HTML tag", TAG)):
        want = sorted(role_target(x) for x in pattern.findall(source))
        got = sorted(role_target(x) for x in pattern.findall(translation))
        if want != got:
            missing = [x for x in want if x not in got] or [x for x in got if x not in want]
            found.append(f"{name} differs from the English: {missing[:3]}")
    numbers_en = NUMBER.findall(prose(source))
    numbers_zh = NUMBER.findall(prose(translation))
    lost = [n for n in numbers_en if numbers_en.count(n) > numbers_zh.count(n)]
    if lost and not numbers_reviewed:
        found.append(f"numbers of the English missing (keep them as digits): {sorted(set(lost))}")
    title = NUMBERED_TITLE.match(source)
    if title and not translation.startswith(f"{title[1]}\\. "):
        found.append(f"a numbered title starts with '{title[1]}\\. ' (escaped, or it becomes a list)")
    words = "" if source.startswith("\n") else prose(source)  # a display formula's labels may stay
    for english, chinese in terms:
        used = re.search(rf"(?<![\w-]){re.escape(english)}s?(?![\w-])", words, re.IGNORECASE)
        if used and chinese.lower() not in translation.lower():
            found.append(f"glossary: '{english}' is '{chinese}' (book/glossary.md)")
    return found


def reviewed(entry: object) -> bool:
    """Whether a catalog entry's numbers were checked by a person (``# numbers: reviewed``)."""
    return any("numbers: reviewed" in c for c in getattr(entry, "user_comments", []))


def run(*args: str | Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=True, **kwargs)


def extract(out: Path) -> Path:
    """Every page's messages, from the current source, as .pot files under ``out``."""
    run(BIN / "jupyter-book", "build", ".", "--builder", "custom", "--custom-builder", "gettext",
        "--path-output", out, stdout=subprocess.DEVNULL)
    return out / "_build" / "gettext"


def templates(pot_dir: Path) -> dict[str, Path]:
    return {p.relative_to(pot_dir).with_suffix("").as_posix(): p for p in sorted(pot_dir.rglob("*.pot"))}


def read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def write_atomic(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write_po(f, catalog, width=0, omit_header=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update() -> None:
    """Extract the messages and merge them into the catalogs; verbatim messages are filled in."""
    with tempfile.TemporaryDirectory() as tmp:
        pot_dir = extract(Path(tmp))
        run(BIN / "sphinx-intl", "update", "-p", pot_dir, "-l", LANGUAGE, "-d", ROOT / "locales",
            "-w", "0", stdout=subprocess.DEVNULL)
        pages = templates(pot_dir)
    for page in pages:
        path = PO_DIR / f"{page}.po"
        catalog = read(path)
        for message in catalog:
            text = message_text(message.id)
            if text and not message.string and verbatim(text):
                message.string = text
                message.flags.discard("fuzzy")
        catalog.obsolete.clear()
        write_atomic(path, catalog)
    for stale in PO_DIR.rglob("*.po"):
        if stale.relative_to(PO_DIR).with_suffix("").as_posix() not in pages:
            stale.unlink()
    for compiled in PO_DIR.rglob("*.mo"):
        compiled.unlink()


def coverage(pot_dir: Path, po_dir: Path | None = None,
             terms: list[tuple[str, str]] | None = None) -> list[Coverage]:
    """Per page: messages in the source, translated (not fuzzy), fuzzy, and problems."""
    terms = glossary() if terms is None else terms
    po_dir = PO_DIR if po_dir is None else po_dir
    report = []
    for page, pot in templates(pot_dir).items():
        row = Coverage(page)
        po_path = po_dir / f"{page}.po"
        catalog = read(po_path) if po_path.exists() else Catalog()
        for message in read(pot):
            text = message_text(message.id)
            if not text:
                continue
            row.total += 1
            entry = catalog.get(message.id)
            if entry is None or not entry.string:
                continue
            if entry.fuzzy:
                row.fuzzy += 1
                continue
            row.translated += 1
            string = message_text(entry.string)
            # The glossary page's English column stays English: its terms are the table's subject.
            page_terms = [] if page == "book/glossary" else terms
            row.problems += [f"{page}: {p}\n    en: {text[:160]!r}"
                             for p in problems(text, string, page_terms, reviewed(entry))]
        report.append(row)
    return report


def check(release: bool) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = coverage(extract(Path(tmp)))
    print(f"{'page':40} {'messages':>8} {'translated':>10} {'fuzzy':>6}")
    for row in report:
        print(f"{row.page:40} {row.total:8} {row.percent:9.1f}% {row.fuzzy:6}")
    total = sum(r.total for r in report)
    done = sum(r.translated for r in report)
    print(f"{'zh_CN, all pages':40} {total:8} {100.0 * done / total:9.1f}% {sum(r.fuzzy for r in report):6}")
    errors = [p for r in report for p in r.problems]
    for p in errors:
        print("PROBLEM", p)
    behind = [r.page for r in report if r.translated < r.total or r.fuzzy]
    if behind:
        word = "FAIL" if release else "warning"
        print(f"{word}: {len(behind)} pages not fully translated (English shows there): {', '.join(behind)}")
        print("  to update: python tools/i18n.py update, then translate the empty and fuzzy entries")
    if errors:
        print(f"FAIL: {len(errors)} translations break what must stay as written (above)")
    return 1 if errors or (release and behind) else 0


def write_zh_config() -> Path:
    """_config.yml with the Chinese title, language and search dictionary (generated, not committed)."""
    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    text = re.sub(r"^title: .*$", f'title: "{ZH_TITLE}"', text, count=1, flags=re.MULTILINE)
    words = ROOT / "_build" / "zh-search-words.txt"
    words.parent.mkdir(exist_ok=True)
    words.write_text("".join(f"{zh} 100 n\n" for en, zh in glossary() if CJK.search(zh)), encoding="utf-8")
    marker = "  config:\n"
    assert marker in text, "_config.yml has no sphinx: config: section"
    extra = (f"    language: {LANGUAGE}\n"
             f"    html_search_language: zh\n"
             f"    html_search_options: {{dict: {words.as_posix()}}}\n")
    text = text.replace(marker, marker + extra, 1)
    tmp = ZH_CONFIG.with_name(f".{ZH_CONFIG.name}.{os.getpid()}")
    tmp.write_text("# Generated by tools/i18n.py from _config.yml; not committed.\n" + text, encoding="utf-8")
    os.replace(tmp, ZH_CONFIG)
    return ZH_CONFIG


LEFTOVER = re.compile(r"\*\*|(?<![\w*\\])\*(?=[^\s*])|\]\(|\{cite|\{ref|\{doc")


def leftover_markup(html_dir: Path, pages: list[str] | None = None) -> list[str]:
    """Markdown the Chinese pages show as text (emphasis next to CJK punctuation, broken links)."""
    found = []
    for path in sorted(html_dir.rglob("*.html")):
        page = path.relative_to(html_dir).with_suffix("").as_posix()
        if pages and page not in pages:
            continue
        text = path.read_text(encoding="utf-8")
        text = text.split('<article class="bd-article"', 1)[-1].split("</article>", 1)[0]
        for tag in ("pre", "code", "script", "style"):
            text = re.sub(rf"<{tag}\b[^>]*>.*?</{tag}>", " ", text, flags=re.DOTALL)
        text = re.sub(r'<span class="math[^"]*">.*?</span>', " ", text, flags=re.DOTALL)
        text = re.sub(r"<div class=\"math.*?</div>", " ", text, flags=re.DOTALL)
        for line in re.sub(r"<[^>]+>", "", text).splitlines():
            if CJK.search(line) and LEFTOVER.search(line):
                found.append(f"{page}: markup shown as text: {line.strip()[:160]!r}")
    return found


def static_changed(html: Path) -> bool:
    """Whether a file of ``_static`` changed since ``html`` was built: Sphinx copies them only when
    a page is out of date, so a change to the style sheet alone needs every page written again."""
    index = html / "index.html"
    if not index.is_file():
        return False
    built = index.stat().st_mtime
    return any(f.stat().st_mtime > built for f in (ROOT / "_static").rglob("*") if f.is_file())


def build(strict: bool, out: str = "_build/zh", pages: list[str] | None = None) -> int:
    """The Chinese site: built into ``out``; the default also copies it to _build/html/zh."""
    config = write_zh_config()
    html = ROOT / out / "_build" / "html"
    flags = ["--all", "-W", "-n", "--keep-going"] if strict else ["--all"] if static_changed(html) else []
    run(BIN / "jupyter-book", "build", ".", "--builder", "html", "--config", config.name,
        "--path-output", out, *flags)
    leftovers = leftover_markup(html, pages)
    for line in leftovers:
        print("PROBLEM", line)
    if out == "_build/zh":
        target = ROOT / "_build" / "html" / "zh"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(html, target)
        html = target
    print(f"Chinese edition: {html.relative_to(ROOT)}/index.html")
    return 1 if leftovers else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("update", help="extract messages and merge them into the catalogs")
    c = sub.add_parser("check", help="coverage per page; markup and glossary problems")
    c.add_argument("--release", action="store_true", help="fail below 100%% or on a fuzzy entry")
    b = sub.add_parser("build", help="build the Chinese site into _build/html/zh")
    b.add_argument("--strict", action="store_true", help="warnings are errors (as book-strict)")
    b.add_argument("--out", default="_build/zh",
                   help="output folder (default: _build/zh, copied to _build/html/zh)")
    b.add_argument("pages", nargs="*",
                   help="only report problems on these pages (e.g. notebooks/01_why_lstm)")
    args = parser.parse_args(argv)
    if args.command == "update":
        update()
        return 0
    if args.command == "check":
        return check(args.release)
    return build(args.strict, args.out, args.pages)


if __name__ == "__main__":
    sys.exit(main())
