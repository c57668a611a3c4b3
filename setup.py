"""The one compiled part: an optional C builder for YAML templates over libyaml (src/ddbguard/templates/_yaml_builder.c).

Where libyaml's headers or a compiler are missing, the build skips it (optional=True) and the Python builder in
decode_yaml.py decodes every YAML template, with the same values, lines and errors, about 2x slower.
Everything else about the package is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("ddbguard.templates._yaml_builder", ["src/ddbguard/templates/_yaml_builder.c"],
                             libraries=["yaml"], optional=True)])
