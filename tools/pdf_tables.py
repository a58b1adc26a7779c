"""Sphinx extension for the PDF: long tables break across pages and wrap their cells.

LaTeX sets a table of up to 30 rows with ``tabulary``, which cannot break across pages, so a
long table of wrapped cells (the troubleshooting page's) runs into the footer; above 30 rows
Sphinx switches to ``longtable`` with columns that do not wrap, so the table runs off the page
to the right. For the ``latex`` builder only, a table of more than ``LONG_ROWS`` rows becomes a
``longtable`` whose columns wrap, each as wide as its share of the table's text (at least a fifth).
The site and the translation catalogs see the table as written.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

LONG_ROWS = 12  # more rows than this may not fit on one page once the cells wrap


def column_widths(table: nodes.table) -> list[int]:
    """Percent widths from each column's share of the text, at least 20 each, summing to 100."""
    lengths: list[int] = []
    for row in table.findall(nodes.row):
        for index, entry in enumerate(row.findall(nodes.entry)):
            while len(lengths) <= index:
                lengths.append(0)
            lengths[index] += len(entry.astext())
    total = sum(lengths) or 1
    widths = [max(20, round(100 * length / total)) for length in lengths]
    widths[widths.index(max(widths))] += 100 - sum(widths)  # the widest column takes the rounding
    return widths


def wrap_long_tables(app: Sphinx, doctree: nodes.document) -> None:
    if app.builder.format != "latex":
        return
    for table in doctree.findall(nodes.table):
        if len(list(table.findall(nodes.row))) <= LONG_ROWS:
            continue
        if any(entry.get("morecols") or entry.get("morerows") for entry in table.findall(nodes.entry)):
            continue  # spanning cells: leave the table as Sphinx sets it
        colspecs = list(table.findall(nodes.colspec))
        widths = column_widths(table)
        if len(colspecs) != len(widths):
            continue
        for colspec, width in zip(colspecs, widths, strict=True):
            colspec["colwidth"] = width
        table["classes"] += ["longtable", "colwidths-given"]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-read", wrap_long_tables)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
