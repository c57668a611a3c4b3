"""DDB052 for checkov: the rule's predicate (src/ddbguard/rules/ddb052_dax_multi_az/predicate.py) through checkov's check API."""

from ddbguard.checkov_support import register_check

check = register_check(__file__)
