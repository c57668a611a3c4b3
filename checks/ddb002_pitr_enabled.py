"""DDB002: point-in-time recovery on the table, and on every replica of a global table."""

from ddbguard.checkov_support import TRUE_VALUES, DdbguardCheck, Problem, dig, replicas

_PITR = ("PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled")


class Ddb002PitrEnabled(DdbguardCheck):
    rule_id = "DDB002"

    def problems(self, resource: dict) -> list[Problem]:
        if resource.get("Type") == "AWS::DynamoDB::GlobalTable":
            return [
                ("point-in-time recovery is not enabled on every replica "
                 "(Replicas[*].PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is not true)", (*path, *_PITR))
                for path, replica in replicas(resource)
                if dig(replica, *_PITR) not in TRUE_VALUES
            ]
        if dig(resource, "Properties", *_PITR) not in TRUE_VALUES:
            return [("point-in-time recovery is not enabled "
                     "(PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is not true)", ("Properties", *_PITR))]
        return []


check = Ddb002PitrEnabled()
