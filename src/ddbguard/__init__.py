"""ddbguard: keep DynamoDB data safe in CDK and CloudFormation projects."""

__version__ = "0.1.0"
