# Lets Python packaging ship these cfn-guard rules inside ddbguard (as ddbguard.policies).
