"""DDB003 for checkov: the rule's predicate (src/ddbguard/rules/ddb003_encryption/predicate.py) through checkov's check API."""

from ddbguard.checkov_support import register_check

check = register_check(__file__)
