"""DDB005 for checkov: the rule's predicate (src/ddbguard/rules/ddb005_resource_policy/predicate.py) through checkov's check API."""

from ddbguard.checkov_support import register_check

check = register_check(__file__)
