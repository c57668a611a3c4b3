"""What a decoded template is made of: mappings that know their line and their keys' lines, and the error of a
template that cannot be decoded."""

from __future__ import annotations

import sys


class MarkedDict(dict):
    """A mapping that remembers the 1-based line of itself and of each of its keys.

    The decoders keep the key lines as a compact tuple in key order (a template's mappings are many, and a dict of
    lines per mapping would double the memory of the whole template); `key_lines` is a dict made from it the first
    time it is asked for. A JSON object decoded in Python (where the C speedups are not compiled) keeps only its
    document (`_source`): its lines are found in the document's text the first time they are asked for
    (`_JsonSource`).

    No __init__: the JSON decoder makes every object with `MarkedDict(pairs)`, which stays C code that way.
    """

    # _text: a document's root only, its text (decode.may_hold_key)
    __slots__ = ("_line", "_lines", "_key_lines", "_source", "_start", "_end", "_text")

    @property
    def line(self) -> int:
        line = getattr(self, "_line", None)
        if line is None:
            source = getattr(self, "_source", None)
            line = self._line = source.line_of_object(self) if source is not None else 0
        return line

    @line.setter
    def line(self, value: int) -> None:
        self._line = value

    @property
    def key_lines(self) -> dict:
        key_lines = getattr(self, "_key_lines", None)
        if key_lines is None:
            lines, source = getattr(self, "_lines", None), getattr(self, "_source", None)
            if lines is not None:
                key_lines = dict(zip(self, lines))
            elif source is not None:
                key_lines = source.key_lines_of(self)
            else:
                key_lines = {}
            self._key_lines, self._lines = key_lines, None
        return key_lines

    @key_lines.setter
    def key_lines(self, value: dict) -> None:
        self._key_lines, self._lines = value, None

    # removing a key would shift the compact lines: make them a dict first
    def __delitem__(self, key):
        self.key_lines  # noqa: B018 - materializes
        super().__delitem__(key)

    def pop(self, *args):
        self.key_lines  # noqa: B018
        return super().pop(*args)

    def popitem(self):
        self.key_lines  # noqa: B018
        return super().popitem()


class DecodeError(Exception):
    pass


MAX_DEPTH = 100  # far beyond any real template; deeper input would exhaust the recursion of later steps
# Python refuses to convert a decimal integer of more digits than this (4,300 by default): an input error
TOO_MANY_DIGITS = f"an integer of more than {sys.get_int_max_str_digits():,} digits, longer than Python reads"
