import sys

from ddbguard.cli import console

sys.exit(console())
