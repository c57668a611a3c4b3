"""The role may query the table but not its index ByStatus."""
import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct


class Example(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id, termination_protection=True)
        orders = dynamodb.Table(
            self, "Orders",
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            deletion_protection=True,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
        )
        orders.add_global_secondary_index(
            index_name="ByStatus",
            partition_key=dynamodb.Attribute(name="status", type=dynamodb.AttributeType.STRING),
        )
        analyst = iam.Role(self, "Analyst", assumed_by=iam.AccountRootPrincipal())
        analyst.add_to_policy(iam.PolicyStatement(actions=["dynamodb:GetItem", "dynamodb:Query"], resources=[orders.table_arn]))
