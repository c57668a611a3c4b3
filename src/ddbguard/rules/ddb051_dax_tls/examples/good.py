"""Encrypted at rest, TLS at the endpoint, three nodes."""
import aws_cdk as cdk
from aws_cdk import aws_dax as dax
from constructs import Construct


class Example(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id, termination_protection=True)
        dax.CfnCluster(
            self, "Cache",
            iam_role_arn="arn:aws:iam::111111111111:role/dax",
            node_type="dax.r5.large",
            sse_specification=dax.CfnCluster.SSESpecificationProperty(sse_enabled=True),
            cluster_endpoint_encryption_type="TLS",
            replication_factor=3,
        )
