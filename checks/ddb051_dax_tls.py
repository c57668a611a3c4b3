"""DDB051 for checkov: the rule's predicate (src/ddbguard/rules/ddb051_dax_tls/predicate.py) through checkov's check API."""

from ddbguard.checkov_support import register_check

check = register_check(__file__)
