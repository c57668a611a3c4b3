# checkov loads the checks in this folder only when it is a package (it needs this file).
