"""The Chinese edition's catalogs: in step with the English source, and faithful where they must be."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from tools import i18n, site_i18n

ROOT = Path(__file__).resolve().parents[1]
TERMS = [("forget gate", "遗忘门"), ("cell state", "细胞状态"), ("sigmoid", "sigmoid")]


@pytest.fixture(scope="module")
def pot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The messages of the current English source (Sphinx's gettext builder)."""
    return i18n.extract(tmp_path_factory.mktemp("gettext"))


def test_a_faithful_translation_has_no_problems() -> None:
    en = "The **forget gate** $f_t$ keeps 0.9 of `c` ([Gers, 2000](https://doi.org/x)) <a id=\"e\"></a>"
    zh = "**遗忘门** $f_t$ 保留 `c` 的 0.9（[Gers, 2000](https://doi.org/x)）<a id=\"e\"></a>"
    assert i18n.problems(en, zh, TERMS) == []


@pytest.mark.parametrize(("zh", "what"), [
    ("**遗忘门** $f_{t}$ 保留 `c` 的 0.9（[Gers, 2000](https://doi.org/x)）<a id=\"e\"></a>", "mathematics"),
    ("**遗忘门** $f_t$ 保留 `C` 的 0.9（[Gers, 2000](https://doi.org/x)）<a id=\"e\"></a>", "code"),
    ("**遗忘门** $f_t$ 保留 `c` 的 0.9（[Gers, 2000](https://doi.org/y)）<a id=\"e\"></a>", "link target"),
    ("**遗忘门** $f_t$ 保留 `c` 的 0.9（[Gers, 2000](https://doi.org/x)）", "HTML tag"),
    ("**遗忘门** $f_t$ 保留 `c` 的 0.8（[Gers, 2000](https://doi.org/x)）<a id=\"e\"></a>", "numbers"),
    ("**遗忘门** $f_t$ 保留 `c` 的九成（[Gers, 2000](https://doi.org/x)）<a id=\"e\"></a>", "numbers"),
    ("**忘记门** $f_t$ 保留 `c` 的 0.9（[Gers, 2000](https://doi.org/x)）<a id=\"e\"></a>", "glossary"),
])
def test_each_kind_of_unfaithful_translation_is_named(zh: str, what: str) -> None:
    en = "The **forget gate** $f_t$ keeps 0.9 of `c` ([Gers, 2000](https://doi.org/x)) <a id=\"e\"></a>"
    found = i18n.problems(en, zh, TERMS)
    assert len(found) == 1 and what in found[0], found


def test_glossary_terms_in_code_or_maths_and_plurals() -> None:
    assert i18n.problems("Call `forget gate` and $\\text{cell state}$.", "调用 `forget gate` 和 $\\text{cell state}$。",
                         TERMS) == []
    assert i18n.problems("Two cell states.", "两个状态。", TERMS) == ["glossary: 'cell state' is '细胞状态' (book/glossary.md)"]
    assert i18n.problems("A sigmoid.", "一个 S 型函数。", TERMS)  # kept in English: must stay
    assert i18n.problems("A Sigmoid.", "一个 sigmoid。", TERMS) == []


def test_a_cross_reference_keeps_its_target_and_translates_its_text() -> None:
    en = "See {doc}`chapter 6 <../notebooks/06_bptt>` and {ref}`ex-1`."
    assert i18n.problems(en, "见 {doc}`第 6 章 <../notebooks/06_bptt>` 和 {ref}`ex-1`。", []) == []
    assert i18n.problems(en, "见 {doc}`第 6 章 <../notebooks/07>` 和 {ref}`ex-1`。", [])


def test_numbers_written_the_chinese_way_pass_only_when_reviewed() -> None:
    assert i18n.problems("2.3 million parameters", "230 万个参数", [])
    assert i18n.problems("2.3 million parameters", "230 万个参数", [], numbers_reviewed=True) == []


def test_a_numbered_title_must_be_escaped() -> None:
    assert i18n.problems("1. Why LSTMs", "1. 为什么", []) and not i18n.problems("1. Why LSTMs", "1\\. 为什么", [])


def test_verbatim_messages() -> None:
    assert i18n.verbatim("\nh_t = \\tanh(a)\n")
    assert i18n.verbatim("`nn.LSTM`") and i18n.verbatim("$h_t$, $c_t$") and i18n.verbatim("遗忘门")
    assert i18n.verbatim("0.25")
    assert not i18n.verbatim("The gate `f` opens.")


def test_glossary_table() -> None:
    pairs = dict(i18n.glossary())
    assert pairs["forget gate"] == "遗忘门" and pairs["cell state"] == "细胞状态" and pairs["bidirectional"] == "双向"
    assert pairs["sigmoid"] == "sigmoid" and len(pairs) >= 35
    assert "English" not in pairs


def test_catalogs_cover_every_page_and_break_nothing(pot_dir: Path) -> None:
    report = i18n.coverage(pot_dir)
    pages = {r.page for r in report}
    assert {"notebooks/01_why_lstm", "notebooks/12_imdb_glove_bilstm", "book/intro", "book/glossary"} <= pages
    problems = [p for r in report for p in r.problems]
    assert problems == [], "\n".join(problems[:20])
    for row in report:
        print(f"{row.page:40} {row.percent:5.1f}% fuzzy={row.fuzzy}")


def test_an_english_change_flags_its_translation(pot_dir: Path, tmp_path: Path) -> None:
    """Change one translated English paragraph: sphinx-intl marks it, and the page drops below 100%."""
    page = "notebooks/01_why_lstm"
    pots, locales = tmp_path / "pot", tmp_path / "locales"
    shutil.copytree(pot_dir, pots)
    po_dir = locales / "zh_CN" / "LC_MESSAGES"
    shutil.copytree(i18n.PO_DIR, po_dir)
    catalog = i18n.read(po_dir / f"{page}.po")
    translated = [m for m in catalog if m.id and m.string and not m.fuzzy and not i18n.verbatim(m.id)]
    assert translated, f"{page} has no translated prose yet"
    before = next(r for r in i18n.coverage(pots, po_dir) if r.page == page)

    template = i18n.read(pots / f"{page}.pot")
    changed = next(m for m in template if m.id == translated[0].id)
    template.delete(changed.id)
    template.add(changed.id.replace(" ", "  ", 1) + " One more sentence.")
    with (pots / f"{page}.pot").open("wb") as f:
        write_po(f, template)
    subprocess.run([str(Path(sys.executable).parent / "sphinx-intl"), "update", "-p", str(pots), "-l", "zh_CN",
                    "-d", str(locales)], check=True, capture_output=True)

    after = next(r for r in i18n.coverage(pots, po_dir) if r.page == page)
    assert after.translated == before.translated - 1
    assert after.fuzzy == before.fuzzy + 1 or after.translated < after.total
    with (po_dir / f"{page}.po").open("rb") as f:
        entry = read_po(f).get(changed.id.replace(" ", "  ", 1) + " One more sentence.")
    assert entry is not None and (entry.fuzzy or not entry.string)


def test_release_check_fails_on_any_untranslated_page(monkeypatch: pytest.MonkeyPatch, pot_dir: Path,
                                                      tmp_path: Path) -> None:
    empty = tmp_path / "po"
    empty.mkdir()
    monkeypatch.setattr(i18n, "extract", lambda out: pot_dir)
    monkeypatch.setattr(i18n, "PO_DIR", empty)
    monkeypatch.setattr(i18n, "coverage", lambda pots, po_dir=empty, terms=None: [
        i18n.Coverage("notebooks/01_why_lstm", total=3, translated=2, fuzzy=1)])
    assert i18n.check(release=False) == 0
    assert i18n.check(release=True) == 1


def test_language_links_point_at_the_same_page() -> None:
    assert site_i18n.other_edition("notebooks/01_why_lstm", "en") == "../zh/notebooks/01_why_lstm.html"
    assert site_i18n.other_edition("notebooks/01_why_lstm", "zh_CN") == "../../notebooks/01_why_lstm.html"
    assert site_i18n.other_edition("index", None) == "zh/index.html"
    zh = site_i18n.switch_html("notebooks/01_why_lstm", "zh_CN", notebook=True)
    assert 'hreflang="en"' in zh and "英文版笔记本" in zh
    assert "英文版笔记本" not in site_i18n.switch_html("book/intro", "zh_CN", notebook=False)


def test_leftover_markup_is_found(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text('<article class="bd-article"><p>这是**练习：**后面</p><p>好的 <code>**kw</code></p>'
                    '<pre>a ** b 中</pre></article>', encoding="utf-8")
    found = i18n.leftover_markup(tmp_path)
    assert len(found) == 1 and "练习" in found[0]


def test_site_check_finds_a_missing_edition_and_a_dead_language_link(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from tools import check_site

    toc = tmp_path / "_toc.yml"
    toc.write_text("root: book/intro\nparts:\n  - chapters:\n      - file: book/notation\n", encoding="utf-8")
    monkeypatch.setattr(check_site, "ROOT", tmp_path)
    html = tmp_path / "_build" / "html"
    for name in ("book/intro", "book/notation"):
        for lang in ("en", "zh_CN"):
            page = html / ("zh" if lang == "zh_CN" else "") / f"{name}.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(site_i18n.switch_html(name, lang, notebook=False) + "<p>text</p>", encoding="utf-8")
    assert check_site.edition_problems(html) == []
    (html / "zh" / "book" / "notation.html").unlink()
    found = check_site.edition_problems(html)
    assert any("no page at zh/book/notation.html" in p for p in found)
    assert any("book/notation.html: its zh-CN link" in p for p in found)
    (html / "book" / "intro.html").write_text("<p>no switch</p>", encoding="utf-8")
    assert any("book/intro.html: no link to the zh-CN edition" in p for p in check_site.edition_problems(html))


def test_a_display_formula_must_stay_a_copy() -> None:
    formula = "\nf_t = \\sigma(a) \\quad \\text{forget gate}\n"
    assert i18n.problems(formula, formula, TERMS) == []
    assert i18n.problems(formula, formula.replace("forget gate", "遗忘门"), TERMS)


def test_the_glossary_page_keeps_its_english_column(tmp_path: Path) -> None:
    pots, pos = tmp_path / "pot" / "book", tmp_path / "po" / "book"
    pots.mkdir(parents=True)
    pos.mkdir(parents=True)
    for folder, string in ((pots, ""), (pos, "forget gate")):
        catalog = i18n.Catalog()
        catalog.add("forget gate", string)
        for page in ("glossary", "notation"):
            with (folder / f"{page}.{'pot' if folder is pots else 'po'}").open("wb") as f:
                write_po(f, catalog)
    report = {r.page: r for r in i18n.coverage(tmp_path / "pot", tmp_path / "po", TERMS)}
    assert report["book/glossary"].problems == [] and report["book/glossary"].percent == 100.0
    assert report["book/notation"].problems  # elsewhere the English term needs its Chinese name


def test_the_toc_captions_come_from_the_root_page_catalog(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from docutils import nodes
    from sphinx import addnodes

    po = tmp_path / "locales" / "zh_CN" / "LC_MESSAGES" / "book" / "intro.po"
    po.parent.mkdir(parents=True)
    catalog = i18n.Catalog()
    catalog.add("Part I: Why gates", "第一部分：为什么需要门")
    catalog.add("Appendices", "附录", flags=["fuzzy"])
    with po.open("wb") as f:
        write_po(f, catalog)
    doctree = nodes.document(None, None)
    doctree += [addnodes.toctree(caption="Part I: Why gates"), addnodes.toctree(caption="Appendices")]
    app = SimpleNamespace(config=SimpleNamespace(language="zh_CN"), srcdir=str(tmp_path),
                          env=SimpleNamespace(docname="book/intro"))
    site_i18n.translate_captions(app, doctree)
    assert [n["caption"] for n in doctree.findall(addnodes.toctree)] == ["第一部分：为什么需要门", "Appendices"]
    app.config.language = "en"
    english = nodes.document(None, None)
    english += addnodes.toctree(caption="Part I: Why gates")
    site_i18n.translate_captions(app, english)
    assert english[0]["caption"] == "Part I: Why gates"


def test_a_changed_style_sheet_rebuilds_every_chinese_page(tmp_path, monkeypatch):
    """Sphinx copies _static only when a page is out of date: a newer file there asks for --all."""
    import os

    monkeypatch.setattr(i18n, "ROOT", tmp_path)
    (tmp_path / "_static").mkdir()
    sheet = tmp_path / "_static" / "reading.css"
    sheet.write_text("p {}")
    html = tmp_path / "html"
    assert not i18n.static_changed(html)  # never built: a first build copies everything
    html.mkdir()
    (html / "index.html").write_text("<html></html>")
    os.utime(sheet, (1_000, 1_000))
    assert not i18n.static_changed(html)
    os.utime(sheet, None)  # edited after the build
    os.utime(html / "index.html", (1_000, 1_000))
    assert i18n.static_changed(html)
