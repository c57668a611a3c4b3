"""The rule kit: what rules share, below them and below the engines that run them.

CloudFormation value helpers (values.py), the cross-resource view of the input (graph.py, its nodes.py, and
who may use a table: access.py), the live
snapshot's CloudFormation-shaped resources (snapshot.py), what a change replaces (replacement.py), the
tables an environment variable names (environments.py), backup plan selections (backup.py), the capacity
Application Auto Scaling scales (capacity.py), and the
Subjects rules return (subjects.py). IAM matching (ddbguard.iam, ddbguard.arns), resource policies
(ddbguard.resource_policy) and template reading (ddbguard.templates) are kit too. Nothing here imports a
rule, an engine or a command.
"""
