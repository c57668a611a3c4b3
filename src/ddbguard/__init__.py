"""ddbguard: keep DynamoDB data safe in CDK and CloudFormation projects."""

from pathlib import Path

__version__ = "0.1.0"

_PACKAGE = Path(__file__).parent


def package_file(*parts: str) -> Path:
    """A file of the installed package (a rule's folder, data/, schemas/), read from the package's directory:
    importlib.resources imports zipfile, tempfile and typing, which a check needs for nothing else, at every start
    (ddbguard is installed as files, never imported from a zip)."""
    return _PACKAGE.joinpath(*parts)
