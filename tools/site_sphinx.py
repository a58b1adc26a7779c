"""A Sphinx extension: what the site shows readers of an executed chapter, and what it leaves out.

The notebooks keep everything a run prints (Colab and GitHub show it as is). On the site:

- ``[claim checked] <statement>`` lines leave the outputs; cells that do nothing but check claims
  disappear; one line per chapter says how many statements were checked (``utils.checks.claim``);
- ``RESULT key=value`` lines (for scripts that read a run's figures) and the profiler's trace lines
  (``USDT: ... profiler_start``) leave the outputs;
- a GPU cell whose output was not recorded says so in a reader's words;
- lint comments (``# noqa: ...``) leave the code;
- inline mathematics and the punctuation right after it stay on one line (``span.nowrap``);
- search snippets show mathematics as text rather than LaTeX (``_static/search-math.js``).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from docutils import nodes

CLAIM_LINE = re.compile(r"^\[claim (?:not )?checked(?: in quick mode)?\] .*$\n?", re.MULTILINE)
RESULT_LINE = re.compile(r"^RESULT \w+=.*$\n?", re.MULTILINE)
# The profiler's own trace lines (PyTorch's Kineto writes them to stderr on some builds).
PROFILER_LINE = re.compile(r"^USDT:.*profiler_(?:start|stop)\s*$\n?", re.MULTILINE)
GPU_PENDING = re.compile(r"^GPU output pending:.*(?:\n.*make gpu-cells.*)?$\n?", re.MULTILINE)
GPU_READER_TEXT = "This cell runs on a GPU; open the chapter in Colab with a GPU runtime to see its output.\n"
CODES = r"[A-Z]+[0-9]+(?:[ \t]*,[ \t]*[A-Z]+[0-9]+)*"
NOQA = re.compile(rf"[ \t]*#[ \t]*noqa(?::[ \t]*{CODES})?[ \t]*(?P<rest>.*)$", re.MULTILINE)
PUNCTUATION = re.compile(r"^[.,;:!?)\]]+")


def reader_output(text: str) -> tuple[str, int]:
    """The output text readers see, and how many claim lines left it."""
    claims = len(CLAIM_LINE.findall(text))
    text = CLAIM_LINE.sub("", text)
    text = RESULT_LINE.sub("", text)
    text = PROFILER_LINE.sub("", text)
    text = GPU_PENDING.sub(GPU_READER_TEXT, text)
    return text, claims


def reader_code(source: str) -> str:
    """Cell source without lint comments; a comment's explanation after the code stays."""
    return NOQA.sub(lambda m: f"  # {m['rest'].strip()}" if m["rest"].strip() else "", source)


def only_claims(source: str) -> bool:
    """Whether every statement of a cell is a ``claim(...)`` call."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and all(
        isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
        and isinstance(s.value.func, ast.Name) and s.value.func.id == "claim"
        for s in body
    )


def _set_text(node: nodes.literal_block, text: str) -> None:
    node.rawsource = text
    node[:] = [nodes.Text(text)]


def _clean_cell(cell: nodes.Element) -> int:
    """Clean one code cell in place; the number of claim lines removed from its outputs."""
    claims = 0
    for block in list(cell.findall(nodes.literal_block)):
        parent = block.parent
        if parent.get("nb_element") == "cell_code_source":
            if only_claims(block.astext()):
                parent.parent.remove(parent)
            else:
                _set_text(block, reader_code(block.astext()))
        elif "output" in block["classes"]:
            text, found = reader_output(block.astext())
            claims += found
            if text.strip():
                _set_text(block, text)
            else:
                parent.remove(block)
    for output in list(cell.findall(lambda n: isinstance(n, nodes.container)
                                    and n.get("nb_element") == "cell_code_output")):
        if not output.children:
            output.parent.remove(output)
    return claims


def claims_summary(count: int, language: str | None = None) -> nodes.paragraph:
    """The chapter's one line about its checked statements (in the Chinese edition, in Chinese)."""
    if count == 1:
        text = ("1 statement in this chapter about its own results was checked against the outputs "
                "shown here when it ran: a run whose results do not support it stops with an error.")
    else:
        text = (f"{count} statements in this chapter about its own results were checked against the "
                "outputs shown here when it ran: a run whose results do not support them stops with an "
                "error.")
    if (language or "").startswith("zh"):
        text = (f"本章关于自身结果的 {count} 处陈述，在运行时已与这里显示的输出逐一核对："
                "结果与陈述不符的运行会报错停止。")
    return nodes.paragraph(text, text, classes=["claims-summary"])


def clean_cells(app: Any, doctree: nodes.Element) -> None:
    """Readers' view of every code cell, and the chapter's claims line after its last claim."""
    total, anchor = 0, None
    for cell in list(doctree.findall(lambda n: isinstance(n, nodes.container)
                                     and n.get("nb_element") == "cell_code")):
        found = _clean_cell(cell)
        total += found
        parent = cell.parent
        if parent is None:
            continue
        index = parent.index(cell)
        if not cell.children:
            parent.remove(cell)
            index -= 1
        if found:
            anchor = (parent, index + 1)
    if total and anchor is not None:
        parent, index = anchor
        parent.insert(index, claims_summary(total, getattr(getattr(app, "config", None), "language", None)))


def keep_punctuation_with_math(app: Any, doctree: nodes.document) -> None:  # noqa: ARG001
    """Wrap inline maths and the punctuation right after it in ``span.nowrap``."""
    for math in list(doctree.findall(nodes.math)):
        parent = math.parent
        index = parent.index(math)
        following = parent[index + 1] if index + 1 < len(parent) else None
        if not isinstance(following, nodes.Text):
            continue
        match = PUNCTUATION.match(str(following))
        if not match:
            continue
        rest = str(following)[match.end():]
        group = nodes.inline("", "", classes=["nowrap"])
        parent.remove(math)
        group += math
        group += nodes.Text(match.group())
        parent.insert(index, group)
        if rest:
            parent[index + 1] = nodes.Text(rest)
        else:
            del parent[index + 1]


def setup(app: Any) -> dict[str, bool]:
    """Register the doctree passes and the search script."""
    app.connect("doctree-read", clean_cells)
    app.connect("doctree-read", keep_punctuation_with_math)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
