"""DDB001: DeletionPolicy Retain/RetainExceptOnCreate and UpdateReplacePolicy Retain."""

from ddbguard.checkov_support import DdbguardCheck, Problem


class Ddb001Retain(DdbguardCheck):
    rule_id = "DDB001"

    def problems(self, resource: dict) -> list[Problem]:
        raw = self.raw_resource()
        if raw is None:
            return [("cannot read DeletionPolicy/UpdateReplacePolicy: the template file was not found", ())]
        found = []
        if raw.get("DeletionPolicy") not in ("Retain", "RetainExceptOnCreate"):
            found.append(("DeletionPolicy is not Retain or RetainExceptOnCreate: deleting the stack or removing "
                          "the resource deletes the table and its data", ("DeletionPolicy",)))
        if raw.get("UpdateReplacePolicy") != "Retain":
            found.append(("UpdateReplacePolicy is not Retain: a change that replaces the table deletes the old "
                          "table and its data", ("UpdateReplacePolicy",)))
        return found


check = Ddb001Retain()
