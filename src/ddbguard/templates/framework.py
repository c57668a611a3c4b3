"""Resources CDK creates for itself (`origin: cdk-framework`): the singleton providers and functions that
aws-cdk-lib adds to a stack, the replica provider's nested stack, CDKMetadata.

Exact, never a guess from a name: CDK gives its own constructs fixed ids directly under the stack (from
aws-cdk-lib's source: `SingletonFunction` is `<lambdaPurpose><uuid without dashes>`,
`CustomResourceProvider.getOrCreateProvider` is `<resource type>CustomResourceProvider`, a `NestedStack`'s
resource is `<id>.NestedStack`). Where the stack ends in a construct path is found from the resource's own
logical id: CDK makes it from the path below the stack (`makeUniqueId`), so the split whose id matches is the
stack's. A user construct with one of these names anywhere else (`Provider`, `Handler`, `Stack/App/CDKMetadata`)
is the user's; so is a resource whose logical id was overridden (its stack cannot be told from its path).
"""

from __future__ import annotations

import re

from ddbguard.templates.stack import Stack

# Ids directly under a stack -> what made them (aws-cdk-lib 2.27x)
_SINGLETONS = {
    "CDKMetadata": "CDK's version-reporting resource (CDKMetadata)",
    "AWS679f53fac002430cb0da5b7982bd2287": "the singleton function of AwsCustomResource",
    "AWSb4cf1abd4e4f4bc699441af7ccd9ec37": "the singleton function of the events target AwsApi",
    "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a": "the singleton log-retention function (logRetention)",
    "SingletonLambda224e77f9a32e4b4dac32983477abba16": "the singleton function of the SES DropSpamReceiptRule",
    "CrossRegionAwsSdk8a0c93f3dbef4b71ac137aaf2048ce7e": "the singleton function of CallAwsServiceCrossRegion",
    "@aws-cdk--aws-dynamodb.ReplicaProvider.NestedStack": "the replica provider of Table replicationRegions",
    "@aws-cdk--aws-eks.KubectlProvider.NestedStack": "the kubectl provider of an EKS cluster",
    "@aws-cdk--aws-eks.ClusterResourceProvider.NestedStack": "the cluster resource provider of an EKS cluster",
}
_CUSTOM_RESOURCE_PROVIDERS = (  # the resource types aws-cdk-lib passes to getOrCreateProvider
    "Custom::S3AutoDeleteObjects", "Custom::ECRAutoDeleteImages", "Custom::VpcRestrictDefaultSG",
    "Custom::SyntheticsAutoDeleteUnderlyingResources", "Custom::CrossAccountZoneDelegation",
    "Custom::DeleteExistingRecordSet", "Custom::CrossRegionStringParameterReader", "Custom::CrossRegionExportWriter",
    "Custom::CrossRegionExportReader", "Custom::AWSCDKOpenIdConnectProvider", "AWSCDKCfnUtilsProvider",
    "AWSCDK.TriggerCustomResourceProvider",
)
_SINGLETONS.update({f"{kind}CustomResourceProvider": f"CDK's custom resource provider for {kind}"
                    for kind in _CUSTOM_RESOURCE_PROVIDERS})
# BucketDeployment: uuid 8693BB64-... and, per memory size, storage and VPC, a suffix (slugified: alphanumeric)
_BUCKET_DEPLOYMENT = re.compile(r"Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C[A-Za-z0-9]*")
# Constructs of the app's tree (tree.json) whose children of these ids CDK makes for itself, wherever the user
# puts the construct: custom_resources.Provider's framework functions and waiter
TYPED_SCOPES = {
    "aws-cdk-lib.custom_resources.Provider": (
        ("framework-onEvent", "framework-isComplete", "framework-onTimeout", "waiter-state-machine"),
        "the framework functions of a custom_resources.Provider"),
}
_REPLICA_PROVIDER = "@aws-cdk--aws-dynamodb.ReplicaProvider"
_REPLICA_HANDLERS = ("OnEventHandler", "IsCompleteHandler")


def make_unique_id(components: list[str]) -> str:
    """CDK's logical id of the construct path below a stack (aws-cdk-lib core/lib/private/uniqueid)."""
    components = [c for c in components if c != "Default"]
    if not components:
        return ""
    if len(components) == 1 and len(_alphanumeric(components[0])) <= 255:
        return _alphanumeric(components[0])
    import hashlib  # here: OpenSSL takes 2 ms to load, and most runs make no unique id

    digest = hashlib.md5("/".join(components).encode("utf-8")).hexdigest()[:8].upper()
    kept: list[str] = []
    for component in components:
        if not kept or not kept[-1].endswith(component):
            kept.append(component)
    return "".join(_alphanumeric(c) for c in kept if c != "Resource")[:240] + digest


def _alphanumeric(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text)


def split_at_stack(cdk_path: str, logical_id: str) -> tuple[list[str], list[str]] | None:
    """(the stack's path, the path below it), where CDK's logical id of the lower part is the resource's; None
    when no split gives it, or more than one does (`Stack/Default/X` and `Stack/X` both give `X`)."""
    segments = cdk_path.split("/")
    splits = [index for index in range(1, len(segments)) if make_unique_id(segments[index:]) == logical_id]
    return (segments[:splits[0]], segments[splits[0]:]) if len(splits) == 1 else None


def framework_construct(stack: Stack, logical_id: str, cdk_path: str | None, resource_type: str | None) -> str | None:
    """What CDK construct made the resource for itself, or None: it is the user's."""
    if stack.parent is not None:  # everything in a nested stack that CDK made for itself is CDK's
        parent, resource = stack.parent, stack.parent_logical_id
        made_by = framework_construct(parent, resource, parent.cdk_path(resource), "AWS::CloudFormation::Stack")
        if made_by is not None:
            return made_by
    if not cdk_path:
        return None
    split = split_at_stack(cdk_path, logical_id)
    if split is None:
        return None
    stack_path, below = split
    if len(below) >= 2 and below[0] in _SINGLETONS:
        if below[0] == "CDKMetadata" and resource_type != "AWS::CDK::Metadata":
            return None
        return _SINGLETONS[below[0]]
    top = stack
    while top.parent is not None:
        top = top.parent
    for depth in range(1, len(below) - 1):  # a construct of a typed scope, and the child CDK made in it
        scope = TYPED_SCOPES.get(top.construct_types.get("/".join([*stack_path, *below[:depth]]), ""))
        if scope is not None and below[depth] in scope[0]:
            return scope[1]
    if len(below) >= 2 and _BUCKET_DEPLOYMENT.fullmatch(below[0]):
        return "the singleton handler of BucketDeployment"
    if len(below) >= 4 and below[-2:] == ["Resource", "Resource"] and resource_type == "AWS::IAM::ManagedPolicy":
        roles = {f"SourceTableAttachedManagedPolicy-"
                 f"{make_unique_id([*stack_path, _REPLICA_PROVIDER, handler, 'ServiceRole'])}"
                 for handler in _REPLICA_HANDLERS}
        if below[-3] in roles:
            return "the replica provider's access to a Table with replicationRegions"
    return None
