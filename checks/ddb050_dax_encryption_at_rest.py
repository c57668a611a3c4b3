"""DDB050 for checkov: the rule's predicate (src/ddbguard/rules/ddb050_dax_encryption_at_rest/predicate.py) through checkov's check API."""

from ddbguard.checkov_support import register_check

check = register_check(__file__)
