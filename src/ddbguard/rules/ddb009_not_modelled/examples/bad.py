"""A custom resource: its function may create a table that ddbguard never sees."""
import aws_cdk as cdk
from constructs import Construct


class Example(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id, termination_protection=True)
        cdk.CfnResource(
            self, "Archive",
            type="Custom::ArchiveTable",
            properties={"ServiceToken": "arn:aws:lambda:us-east-1:111111111111:function:archive-maker"},
        )
