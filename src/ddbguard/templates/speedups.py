"""The C versions of reading's hot loops (`_speedups.c`, which setup.py compiles where libyaml's headers are):
building JSON and YAML templates, and resolving a template's intrinsic functions. Each has a Python twin that
stays the reference and runs wherever this is not compiled; the differential tests hold the two to one answer.

SPEEDUPS is the compiled module, set up with the mapping type templates are made of, or None.
"""

from __future__ import annotations

from ddbguard.templates.marks import MarkedDict


def _compiled():
    try:
        from ddbguard.templates import _speedups
    except ImportError:
        return None
    _speedups.configure(MarkedDict)
    return _speedups


SPEEDUPS = _compiled()
