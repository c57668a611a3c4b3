"""What ddbguard models of CloudFormation: every resource type classified (modelled, irrelevant with the reason,
or not modelled), every transform and intrinsic function and how the reader takes it, and the properties whose
change replaces a table (from the registry schemas, shipped as data)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache

from ddbguard import package_file
from ddbguard.templates.transforms import INCLUDE, LANGUAGE_EXTENSIONS, SAM_TRANSFORM


@cache
def cloudformation_data() -> dict:
    """What ddbguard knows of CloudFormation itself (tools/generate_cloudformation_data.py writes it)."""
    return json.loads(package_file("data", "cloudformation.json").read_text(encoding="utf-8"))


def replacement_properties(resource_type: str) -> tuple[str, ...]:
    """The top-level properties whose change makes CloudFormation replace a table of this type."""
    return tuple(cloudformation_data()["replacement"].get(resource_type, ()))


# -- resource types --------------------------------------------------------------------------------
MODELLED, IRRELEVANT, NOT_MODELLED = "modelled", "irrelevant", "not modelled"


@dataclass(frozen=True)
class Classification:
    kind: str  # MODELLED, IRRELEVANT or NOT_MODELLED
    reason: str  # what models it, why it cannot change a verdict, or what it could change
    acts_on_named_tables: bool = False  # not modelled, and may change or remove the tables it names


_TABLE_RULES = "the table rules read it"
_GRANT_RULES = "the grant rules (DDB010-DDB013, DDB015, DDB019, DDB040) read it"
_THROUGH_A_ROLE = "whatever it does to a table it does through an IAM role, whose grants ddbguard judges"
DEPLOYS = "deploys a template that is not in the input: the tables it may create are not checked"
_ACTS = ("ddbguard has no model of what it does: it may create tables that are not checked, and change or remove "
         "the tables it names")
_CUSTOM = ("a custom resource: its function may create tables that are not checked, and change or remove the tables "
           "it names")

MODELLED_TYPES = {
    "AWS::DynamoDB::Table": _TABLE_RULES,
    "AWS::DynamoDB::GlobalTable": _TABLE_RULES,
    "AWS::IAM::Role": _GRANT_RULES,
    "AWS::IAM::Policy": _GRANT_RULES,
    "AWS::IAM::ManagedPolicy": _GRANT_RULES,
    "AWS::IAM::RolePolicy": _GRANT_RULES,
    "AWS::IAM::User": _GRANT_RULES,
    "AWS::IAM::Group": _GRANT_RULES,
    "AWS::IAM::UserPolicy": _GRANT_RULES,
    "AWS::IAM::GroupPolicy": _GRANT_RULES,
    "AWS::IAM::UserToGroupAddition": "the grant rules give a user its groups' policies",
    "AWS::SSO::PermissionSet": _GRANT_RULES,
    "AWS::Lambda::Function": "DDB011 reads its environment, the grant rules its role",
    "AWS::KMS::Key": "DDB008 reads whether the stack deletes it",
    "AWS::KMS::ReplicaKey": "DDB008 reads whether the stack deletes it",
    "AWS::KMS::Alias": "DDB008 follows it to its key",
    "AWS::Backup::BackupPlan": "DDB022 reads its retention",
    "AWS::Backup::BackupSelection": "DDB022 reads what it selects",
    "AWS::DAX::Cluster": "DDB050-DDB052 read its encryption and nodes",
    "AWS::ApplicationAutoScaling::ScalableTarget": "DDB023 reads which table capacity it scales",
    "AWS::CloudFormation::Stack": "its template is read as a nested stack",
    "AWS::CloudFormation::StackSet": "its template is read as the stack it deploys (unreadable: not modelled)",
}

# Services whose types can hold a table, a key, a grant or a template: each type is declared on its own.
SENSITIVE_SERVICES = ("AWS::DynamoDB", "AWS::IAM", "AWS::KMS", "AWS::Lambda", "AWS::Backup", "AWS::SSO",
                      "AWS::CloudFormation", "AWS::ServiceCatalog", "AWS::Serverless")

NOT_MODELLED_TYPES = {
    "AWS::ServiceCatalog::CloudFormationProvisionedProduct": DEPLOYS,
}

IRRELEVANT_TYPES = {
    "AWS::DynamoDB::Backup": "an on-demand backup: removing it deletes that backup, never the table (DDB020 and "
                             "DDB022 judge backups)",
    "AWS::IAM::AccessKey": "credentials of a user, whose grants are judged (or not modelled) at the user",
    "AWS::IAM::InstanceProfile": "wraps a role, whose grants are judged at the role",
    "AWS::IAM::OIDCProvider": "a federation trust that roles refer to; the roles are judged",
    "AWS::IAM::SAMLProvider": "a federation trust that roles refer to; the roles are judged",
    "AWS::IAM::ServerCertificate": "holds a TLS certificate",
    "AWS::IAM::VirtualMFADevice": "an MFA device",
    "AWS::IAM::ServiceLinkedRole": "its permissions are fixed by AWS for its service",
    **{f"AWS::Lambda::{name}": _THROUGH_A_ROLE for name in (
        "Alias", "CapacityProvider", "CodeSigningConfig", "EventInvokeConfig", "EventSourceMapping", "LayerVersion",
        "LayerVersionPermission", "MicrovmImage", "NetworkConnector", "Permission", "ResourcePolicy", "Url",
        "Version", "WebFunction", "WebFunctionEndpoint", "WebFunctionRevision")},
    **{f"AWS::Backup::{name}": "keeps or tests recovery points; it cannot delete or change a table" for name in (
        "BackupVault", "Framework", "LegalHold", "LogicallyAirGappedBackupVault", "ReportPlan", "RestoreTestingPlan",
        "RestoreTestingSelection", "TieringConfiguration")},
    **{f"AWS::SSO::{name}": "assigns or configures IAM Identity Center; the grants live in permission sets" for name
       in ("Application", "ApplicationAssignment", "Assignment", "Instance",
           "InstanceAccessControlAttributeConfiguration")},
    "AWS::CloudFormation::ChangeSet": "creating a change set executes nothing",
    "AWS::CloudFormation::GeneratedTemplate": "an IaC generator scan: it deploys nothing",
    "AWS::CloudFormation::GuardHook": "a hook can only stop a deployment",
    "AWS::CloudFormation::LambdaHook": "a hook can only stop a deployment",
    "AWS::CloudFormation::Macro": "defines a macro; a template that uses it is not modelled there",
    "AWS::CloudFormation::WaitCondition": "waits for a signal",
    "AWS::CloudFormation::WaitConditionHandle": "waits for a signal",
    **{f"AWS::CloudFormation::{name}": "registers an extension; a template that uses it is judged there" for name in (
        "HookDefaultVersion", "HookTypeConfig", "HookVersion", "ModuleDefaultVersion", "ModuleVersion",
        "PublicTypeVersion", "Publisher", "ResourceDefaultVersion", "ResourceVersion", "TypeActivation")},
    **{f"AWS::ServiceCatalog::{name}": "defines, shares or constrains products; provisioning one is not modelled"
       for name in ("AcceptedPortfolioShare", "CloudFormationProduct", "LaunchNotificationConstraint",
                    "LaunchRoleConstraint", "LaunchTemplateConstraint", "Portfolio", "PortfolioPrincipalAssociation",
                    "PortfolioProductAssociation", "PortfolioShare", "ResourceUpdateConstraint", "ServiceAction",
                    "ServiceActionAssociation", "StackSetConstraint", "TagOption", "TagOptionAssociation")},
}

# Every other service: it creates no table, key, identity policy or template; whatever it does to a table it does
# through an IAM role, whose grants ddbguard judges (an organization policy can only restrict, or add backups).
IRRELEVANT_SERVICES = frozenset("""
AMZN::SDC AWS::ACMPCA AWS::AIOps AWS::APS AWS::ARCRegionSwitch AWS::ARCZonalShift AWS::AWSExternalAnthropic
AWS::AccessAnalyzer AWS::AccountAccess AWS::AgentRegistry AWS::AmazonMQ AWS::Amplify AWS::AmplifyUIBuilder
AWS::ApiGateway AWS::ApiGatewayV2 AWS::AppConfig AWS::AppFabric AWS::AppFlow AWS::AppIntegrations AWS::AppMesh
AWS::AppRunner AWS::AppStream AWS::AppSync AWS::AppTest AWS::ApplicationAutoScaling AWS::ApplicationInsights
AWS::ApplicationSignals AWS::Athena AWS::AuditManager AWS::AutoScaling AWS::AutoScalingPlans AWS::B2BI AWS::BCM
AWS::BCMDataExports AWS::BackupGateway AWS::Batch AWS::BcmPricingCalculator AWS::Bedrock AWS::BedrockAgentCore
AWS::BedrockMantle AWS::Billing AWS::BillingConductor AWS::Braket AWS::Budgets AWS::CDK AWS::CE AWS::CUR
AWS::Cases AWS::Cassandra AWS::CertificateManager AWS::Chatbot AWS::Chime AWS::CleanRooms AWS::CleanRoomsML
AWS::Cloud9 AWS::CloudFront AWS::CloudHSM AWS::CloudTrail AWS::CloudWatch AWS::CodeArtifact AWS::CodeBuild
AWS::CodeCommit AWS::CodeConnections AWS::CodeDeploy AWS::CodeGuruProfiler AWS::CodeGuruReviewer AWS::CodePipeline
AWS::CodeStar AWS::CodeStarConnections AWS::CodeStarNotifications AWS::Cognito AWS::Comprehend
AWS::ComputeOptimizer AWS::Config AWS::Connect AWS::ConnectCampaigns AWS::ConnectCampaignsV2 AWS::ControlTower
AWS::CustomerProfiles AWS::DAX AWS::DLM AWS::DMS AWS::DRS AWS::DSQL AWS::DataBrew AWS::DataExchange
AWS::DataPipeline AWS::DataSync AWS::DataZone AWS::Deadline AWS::Detective AWS::DevOpsAgent AWS::DevOpsGuru
AWS::DeviceFarm AWS::DirectConnect AWS::DirectoryService AWS::DocDB AWS::DocDBElastic AWS::EC2 AWS::ECR AWS::ECS
AWS::EFS AWS::EKS AWS::EMR AWS::EMRContainers AWS::EMRServerless AWS::EVS AWS::ElastiCache AWS::ElasticBeanstalk
AWS::ElasticLoadBalancing AWS::ElasticLoadBalancingV2 AWS::Elasticsearch AWS::ElementalInference
AWS::EntityResolution AWS::EventSchemas AWS::Events AWS::EventsV2 AWS::Evidently AWS::FIS AWS::FMS AWS::FSx
AWS::FinSpace AWS::Forecast AWS::FraudDetector AWS::GameLift AWS::GameLiftStreams AWS::GammaDilithium
AWS::GlobalAccelerator AWS::Glue AWS::Grafana AWS::Greengrass AWS::GreengrassV2 AWS::GroundStation AWS::GuardDuty
AWS::HealthAgent AWS::HealthImaging AWS::HealthLake AWS::IVS AWS::IVSChat AWS::IdentityStore AWS::ImageBuilder
AWS::Inspector AWS::InspectorV2 AWS::Interconnect AWS::InternetMonitor AWS::Invoicing AWS::IoT AWS::IoTAnalytics
AWS::IoTCoreDeviceAdvisor AWS::IoTEvents AWS::IoTFleetWise AWS::IoTManagedIntegrations AWS::IoTSecureTunneling
AWS::IoTSiteWise AWS::IoTThingsGraph AWS::IoTTwinMaker AWS::IoTWireless AWS::KafkaConnect AWS::Kendra
AWS::KendraRanking AWS::Kinesis AWS::KinesisAnalytics AWS::KinesisAnalyticsV2 AWS::KinesisFirehose
AWS::KinesisVideo AWS::LakeFormation AWS::LaunchWizard AWS::Lex AWS::LicenseManager
AWS::LicenseManagerLinuxSubscriptions AWS::LicenseManagerUserSubscriptions AWS::Lightsail AWS::Location AWS::Logs
AWS::LookoutEquipment AWS::LookoutVision AWS::M2 AWS::MGN AWS::MPA AWS::MSK AWS::MWAA AWS::MWAAServerless
AWS::Macie AWS::ManagedBlockchain AWS::MediaConnect AWS::MediaConvert AWS::MediaLive AWS::MediaPackage
AWS::MediaPackageV2 AWS::MediaStore AWS::MediaTailor AWS::MemoryDB AWS::Neptune AWS::NeptuneGraph
AWS::NetworkFirewall AWS::NetworkFlowMonitor AWS::NetworkManager AWS::NetworkMonitor AWS::NetworkSecurityManager
AWS::NimbleStudio AWS::Notifications AWS::NotificationsContacts AWS::NovaAct AWS::ODB AWS::OSIS AWS::Oam
AWS::ObservabilityAdmin AWS::Omics AWS::OpenSearch AWS::OpenSearchServerless AWS::OpenSearchService AWS::OpsWorks
AWS::Organizations AWS::Outposts AWS::PCAConnectorAD AWS::PCAConnectorSCEP AWS::PCS AWS::PI AWS::Panorama
AWS::PaymentCryptography AWS::Personalize AWS::Pinpoint AWS::PinpointEmail AWS::Pipes AWS::Polly
AWS::PricingPlanManager AWS::Proton AWS::QBusiness AWS::QLDB AWS::QuickSight AWS::RAM AWS::RDS AWS::RTBFabric
AWS::RUM AWS::Rbin AWS::Redshift AWS::RedshiftServerless AWS::RefactorSpaces AWS::Rekognition AWS::ResilienceHub
AWS::ResilienceHubV2 AWS::ResourceExplorer2 AWS::ResourceGroups AWS::RoboMaker AWS::RolesAnywhere AWS::Route53
AWS::Route53GlobalResolver AWS::Route53Profiles AWS::Route53RecoveryControl AWS::Route53RecoveryReadiness
AWS::Route53Resolver AWS::S3 AWS::S3Express AWS::S3Files AWS::S3ObjectLambda AWS::S3Outposts AWS::S3Tables
AWS::S3Vectors AWS::SCN AWS::SDB AWS::SES AWS::SMSVOICE AWS::SNS AWS::SQS AWS::SSM AWS::SSMContacts
AWS::SSMGuiConnect AWS::SSMIncidents AWS::SSMQuickSetup AWS::SageMaker AWS::Scheduler AWS::SecretsManager
AWS::SecurityAgent AWS::SecurityHub AWS::SecurityLake AWS::ServerlessRepo AWS::ServiceCatalogAppRegistry
AWS::ServiceDiscovery AWS::Shield AWS::Signer AWS::SimSpaceWeaver AWS::StepFunctions AWS::StorageGateway
AWS::SupportApp AWS::SupportAuthZ AWS::Synthetics AWS::SystemsManagerSAP AWS::Textract AWS::Timestream
AWS::Transcribe AWS::Transfer AWS::Translate AWS::UXC AWS::VerifiedPermissions AWS::VoiceID AWS::VpcLattice
AWS::WAF AWS::WAFRegional AWS::WAFv2 AWS::WellArchitected AWS::Wickr AWS::Wisdom AWS::WorkSpaces
AWS::WorkSpacesThinClient AWS::WorkSpacesWeb AWS::WorkspacesInstances AWS::XRay Alexa::ASK
""".split())
_SERVICE_REASON = ("creates no DynamoDB table, KMS key, identity policy or template; " + _THROUGH_A_ROLE)

# Custom resources ddbguard models by what they are.
MODELLED_CUSTOM = {"Custom::DynamoDBReplica": "DDB006 and DDB007 read the legacy replicas CDK's Table makes with it"}
# The AWS CDK's own custom resources: each does one documented thing, and none calls DynamoDB.
IRRELEVANT_CUSTOM = {name: "a custom resource of the AWS CDK itself, which calls no DynamoDB API" for name in (
    "Custom::CDKBucketDeployment", "Custom::S3AutoDeleteObjects", "Custom::ECRAutoDeleteImages", "Custom::LogRetention",
    "Custom::S3BucketNotifications", "Custom::VpcRestrictDefaultSG", "Custom::CrossRegionExportWriter",
    "Custom::CrossRegionExportReader", "Custom::AWSCDKOpenIdConnectProvider", "Custom::AWSCDKCfnUtilsProvider",
    "Custom::CloudwatchLogResourcePolicy", "Custom::AWSCDK-EKS-Cluster", "Custom::AWSCDK-EKS-KubernetesResource",
    "Custom::AWSCDK-EKS-HelmChart", "Custom::AWSCDK-EKS-FargateProfile", "Custom::AWSCDK-EKS-KubernetesPatch",
    "Custom::AWSCDK-EKS-KubernetesObjectValue")}
# CDK's AwsCustomResource (Custom::AWS): SDK calls written in its properties, read as such.
AWS_SDK_CALL = "Custom::AWS"


@cache
def _registry_types() -> frozenset[str]:
    return frozenset(cloudformation_data()["resource_types"])


def is_custom_resource(resource_type: str) -> bool:
    return resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource"


def service_of(resource_type: str) -> str:
    return "::".join(resource_type.split("::")[:2])


@lru_cache(maxsize=4096)  # asked for every resource; a template holds a few types, many times
def classify(resource_type: str) -> Classification:
    """Modelled, irrelevant (with why), or not modelled (with what it could change), for any resource type."""
    if resource_type in MODELLED_TYPES:
        return Classification(MODELLED, MODELLED_TYPES[resource_type])
    if resource_type in MODELLED_CUSTOM:
        return Classification(MODELLED, MODELLED_CUSTOM[resource_type])
    if resource_type in IRRELEVANT_CUSTOM:
        return Classification(IRRELEVANT, IRRELEVANT_CUSTOM[resource_type])
    if resource_type.startswith("AWS::Serverless::") and resource_type in _registry_types():
        return Classification(MODELLED, "expanded by the AWS SAM translator before any rule reads the template")
    if is_custom_resource(resource_type):
        return Classification(NOT_MODELLED, _CUSTOM, acts_on_named_tables=True)
    if resource_type.endswith("::MODULE"):
        return Classification(NOT_MODELLED, "a module: the resources it expands to (tables among them) are not in "
                                            "the input", acts_on_named_tables=True)
    if resource_type in NOT_MODELLED_TYPES:
        return Classification(NOT_MODELLED, NOT_MODELLED_TYPES[resource_type])
    if resource_type in IRRELEVANT_TYPES:
        return Classification(IRRELEVANT, IRRELEVANT_TYPES[resource_type])
    if resource_type in _registry_types() and service_of(resource_type) in IRRELEVANT_SERVICES:
        return Classification(IRRELEVANT, _SERVICE_REASON)
    return Classification(NOT_MODELLED, "not a type of the CloudFormation registry schemas ddbguard ships (a private "
                                        "or third-party extension, or a type newer than ddbguard): " + _ACTS,
                          acts_on_named_tables=True)


# -- transforms and intrinsic functions ------------------------------------------------------------
EXPANDED_TRANSFORMS = {
    SAM_TRANSFORM: "expanded by the AWS SAM translator",
    LANGUAGE_EXTENSIONS: "Fn::ForEach is expanded, its other functions resolved",
    INCLUDE: "its snippets are read and inserted",
}
IRRELEVANT_TRANSFORMS = {
    "AWS::SecretsManager-2020-07-23": "adds the rotation function of a secret's HostedRotationLambda",
    "AWS::CodeDeployBlueGreen": "adds the task sets of an ECS blue/green deployment",
}

# Every intrinsic function (cfn-lint's list, and the Rules section's), and how the reader takes it. A value that
# cannot be resolved stays the function itself: a rule never mistakes it for a value (a fail or unknown, with
# the reason the join step gives).
INTRINSICS = {
    "Ref": "resolved (parameters with a value, pseudo parameters the input knows, resources as names)",
    "Fn::Base64": "left unresolved: no rule reads an encoded value",
    "Fn::Cidr": "left unresolved: no rule reads an address range",
    "Fn::FindInMap": "resolved (with AWS::LanguageExtensions' DefaultValue)",
    "Fn::ForEach": "expanded (AWS::LanguageExtensions), within limits",
    "Fn::GetAtt": "resolved to the attribute it names (table ARNs, nested stack outputs)",
    "Fn::GetAZs": "left unresolved: availability zones are decided at deploy time",
    "Fn::GetStackOutput": "left unresolved: another stack's output is read at deploy time",
    "Fn::If": "resolved when its condition can be decided",
    "Fn::ImportValue": "resolved from the exports of the input and the configuration's external_exports",
    "Fn::Join": "resolved",
    "Fn::Length": "resolved (AWS::LanguageExtensions)",
    "Fn::Select": "resolved",
    "Fn::Split": "resolved",
    "Fn::Sub": "resolved",
    "Fn::ToJsonString": "resolved (AWS::LanguageExtensions)",
    "Fn::Transform": "AWS::Include is expanded; any other macro is not modelled",
    "Fn::And": "decided in conditions", "Fn::Equals": "decided in conditions", "Fn::Not": "decided in conditions",
    "Fn::Or": "decided in conditions", "Condition": "decided in conditions",
    # The Rules section only validates parameters: it can stop a deployment, never change a resource.
    **{name: "only in Rules, which validate parameters: irrelevant to resources" for name in (
        "Fn::Contains", "Fn::EachMemberEquals", "Fn::EachMemberIn", "Fn::RefAll", "Fn::ValueOf", "Fn::ValueOfAll")},
}
