"""The rules: one folder per rule (rules/<stem>/, see registry.py for what each holds).

A rule folder imports only the kit (ddbguard.kit, ddbguard.templates, ddbguard.iam, ddbguard.arns,
ddbguard.resource_policy, ddbguard.actions, ddbguard.model) and its own modules; nothing outside rules/
imports a rule folder: the registry loads them.
"""
