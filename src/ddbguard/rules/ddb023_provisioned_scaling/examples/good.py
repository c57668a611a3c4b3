"""Read and write capacity scale with demand."""
import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct


class Example(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id, termination_protection=True)
        orders = dynamodb.Table(
            self, "Orders",
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PROVISIONED,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            deletion_protection=True,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            read_capacity=5,
            write_capacity=5,
        )
        orders.auto_scale_read_capacity(min_capacity=5, max_capacity=100).scale_on_utilization(
            target_utilization_percent=70)
        orders.auto_scale_write_capacity(min_capacity=5, max_capacity=100).scale_on_utilization(
            target_utilization_percent=70)
