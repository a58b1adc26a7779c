"""``tools/pdf_tables.py``: in the PDF, long tables break across pages and wrap their cells;
short tables and the site are left as they are."""

from __future__ import annotations

from types import SimpleNamespace

from docutils import nodes

from tools import pdf, pdf_tables


def table(rows: int, cells: tuple[str, ...] = ("`a long message text`", "what it means", "fix")) -> nodes.table:
    group = nodes.tgroup(cols=len(cells))
    group += [nodes.colspec(colwidth=1) for _ in cells]
    body = nodes.tbody()
    for _ in range(rows):
        row = nodes.row()
        row += [nodes.entry("", nodes.paragraph(text=text)) for text in cells]
        body += row
    group += body
    result = nodes.table()
    result += group
    return result


def run(doc_table: nodes.table, builder_format: str = "latex") -> nodes.table:
    document = nodes.document(None, None)
    document += doc_table
    app = SimpleNamespace(builder=SimpleNamespace(format=builder_format))
    pdf_tables.wrap_long_tables(app, document)  # type: ignore[arg-type]
    return doc_table


def test_a_long_table_becomes_a_wrapping_longtable_in_latex():
    long = run(table(pdf_tables.LONG_ROWS + 1))
    assert {"longtable", "colwidths-given"} <= set(long["classes"])
    widths = [colspec["colwidth"] for colspec in long.findall(nodes.colspec)]
    assert sum(widths) == 100 and min(widths) >= 20
    assert widths[0] == max(widths)  # the column with the most text is the widest


def test_short_tables_and_the_site_are_left_alone():
    assert run(table(pdf_tables.LONG_ROWS))["classes"] == []
    assert run(table(40), builder_format="html")["classes"] == []


def test_a_table_with_spanning_cells_is_left_to_sphinx():
    spanning = table(pdf_tables.LONG_ROWS + 1)
    row = next(iter(spanning.findall(nodes.row)))
    row.remove(row.children[-1])  # a row whose second cell spans two columns
    row.children[-1]["morecols"] = 1
    assert "longtable" not in run(spanning)["classes"]


def test_the_pdf_build_loads_the_extension():
    assert "pdf_tables" in pdf.pdf_config()["sphinx"]["local_extensions"]
