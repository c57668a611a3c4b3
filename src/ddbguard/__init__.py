"""ddbguard: keep DynamoDB data safe in CDK and CloudFormation projects."""

from pathlib import Path

__version__ = "0.1.0"

_PACKAGE = Path(__file__).parent


def package_file(*parts: str) -> Path:
    """A file of the installed package (a rule's folder, data/, schemas/). Read from the package's directory:
    importlib.resources, with the zipfile, tempfile and typing it imports, cost more than a check of a small template
    spends on its rules (ddbguard is never imported from a zip)."""
    return _PACKAGE.joinpath(*parts)
