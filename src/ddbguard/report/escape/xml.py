"""Text for XML attributes and elements (JUnit). ElementTree escapes markup (`&`, `<`, `>`, quotes, and
line endings in attributes) but writes every other character as it is, and XML 1.0 cannot carry most C0
controls, lone surrogates, U+FFFE or U+FFFF at all: a file with one is not well-formed, and CI servers
reject it. Those, and the characters that would drive a terminal or a CI log the file is printed in, are
shown as escapes (terminal.py), so the file parses and shows what the text held.
"""

from __future__ import annotations

from ddbguard.report.escape.terminal import terminal_text


def xml_text(text: str) -> str:
    return terminal_text(text)
