import sys

from ddbguard.cli import main

sys.exit(main())
