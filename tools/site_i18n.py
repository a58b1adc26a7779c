"""A Sphinx extension: the English and Chinese editions link each page to itself in the other.

The English site is at the root and the Chinese one under ``zh/`` (``tools/i18n.py build``). Every
page gets, above its text, a link to the same page in the other language, and ``<link
rel="alternate" hreflang>`` tags for search engines. In the Chinese edition:

- a notebook page says that its launch buttons open the English notebook (the code and outputs
  are the same; the Colab notebooks stay in English), and that the figures' labels and the
  self-check quiz are in English too;
- the solutions' "Solution" toggles (raw HTML in the notebooks) read 解答;
- the parts' captions in the chapter list come from the root page's catalog (the toc is inserted
  after Sphinx translates a page, so Sphinx leaves them in English).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from sphinx import addnodes

ZH_DIR = "zh"
LAUNCH_NOTE_ZH = ("本页的启动按钮（Colab 等）打开的是英文版笔记本：代码和输出与本页相同，"
                  "只有文字是英文。图中的标注和章末的自测题也暂为英文。")


def is_chinese(language: str | None) -> bool:
    return (language or "").startswith("zh")


def other_edition(pagename: str, language: str | None) -> str:
    """Relative URL of the same page in the other edition, from this page."""
    up = "../" * pagename.count("/")
    if is_chinese(language):
        return f"{up}../{pagename}.html"
    return f"{up}{ZH_DIR}/{pagename}.html"


def switch_html(pagename: str, language: str | None, notebook: bool) -> str:
    href = other_edition(pagename, language)
    if is_chinese(language):
        link = f'<a href="{href}" hreflang="en" lang="en">English</a>'
        note = f' <span class="lang-note">{LAUNCH_NOTE_ZH}</span>' if notebook else ""
        return f'<p class="lang-switch" lang="zh-CN">本页的英文原版：{link}{note}</p>\n'
    link = f'<a href="{href}" hreflang="zh-CN" lang="zh-CN">中文</a>'
    return f'<p class="lang-switch">This page in Chinese: {link}</p>\n'


def add_switch(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:  # noqa: ARG001
    """Put the link to the other edition above the page's text; Chinese labels for solutions."""
    if "body" not in context or pagename in ("genindex", "search"):
        return
    language = app.config.language
    notebook = str(context.get("page_source_suffix", "")) == ".ipynb"
    body = context["body"]
    if is_chinese(language):
        body = body.replace("<summary>Solution</summary>", "<summary>解答</summary>")
    context["body"] = switch_html(pagename, language, notebook) + body
    own = "zh-CN" if is_chinese(language) else "en"
    other = "en" if own == "zh-CN" else "zh-CN"
    context["metatags"] = context.get("metatags", "") + (
        f'\n<link rel="alternate" hreflang="{other}" href="{other_edition(pagename, language)}" />')


def translate_captions(app: Any, doctree: Any) -> None:
    """The toc's part captions, from the page's catalog (translated, not fuzzy); else English."""
    language = app.config.language
    if not is_chinese(language):
        return
    po = Path(app.srcdir) / "locales" / language / "LC_MESSAGES" / f"{app.env.docname}.po"
    toctrees = [n for n in doctree.findall(addnodes.toctree) if n.get("caption")]
    if not toctrees or not po.is_file():
        return
    with po.open("rb") as f:
        catalog = read_po(f)
    for node in toctrees:
        entry = catalog.get(node["caption"])
        if entry is not None and entry.string and not entry.fuzzy:
            node["caption"] = entry.string


def setup(app: Any) -> dict[str, bool]:
    app.connect("html-page-context", add_switch)
    app.connect("doctree-read", translate_captions, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
