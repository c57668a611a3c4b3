"""CSV cells for spreadsheets. A cell that starts with `=`, `+`, `-`, `@`, tab or CR is a formula to
Excel, LibreOffice and Google Sheets (and a formula can run commands or send data away): such a cell is
prefixed with a single quote, OWASP's rule for CSV injection. Control characters are escapes first
(terminal.py), so a cell is one line even when the file is printed in a terminal or a CI log; the csv
module quotes cells with commas and quotes.
"""

from __future__ import annotations

from ddbguard.report.escape.terminal import terminal_text

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    shown = terminal_text(text)
    return f"'{shown}" if shown.startswith(_FORMULA_START) else shown
