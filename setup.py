"""The one compiled part: optional C versions of reading's hot loops (src/ddbguard/templates/_speedups.c: JSON and
YAML templates built, the latter over libyaml, and intrinsic functions resolved).

Where libyaml's headers or a compiler are missing, the build skips it (optional=True): the Python twins in
decode_json.py, decode_yaml.py and resolve.py do the same work, with the same values, lines and errors, slower.
Everything else about the package is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("ddbguard.templates._speedups", ["src/ddbguard/templates/_speedups.c"],
                             libraries=["yaml"], optional=True)])
