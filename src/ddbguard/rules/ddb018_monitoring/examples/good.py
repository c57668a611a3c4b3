"""An alarm on the table's throttled requests."""
import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_cloudwatch as cloudwatch
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
        cloudwatch.Alarm(
            self, "OrdersThrottled",
            metric=cloudwatch.Metric(namespace="AWS/DynamoDB", metric_name="ThrottledRequests",
                                     dimensions_map={"TableName": orders.table_name}, statistic="Sum"),
            threshold=1,
            evaluation_periods=1,
        )
