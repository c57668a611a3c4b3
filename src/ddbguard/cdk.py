"""ddbguard as a CDK policy-validation plugin: `cdk synth` fails with ddbguard's findings in CDK's own
validation report, each with its rule id, message, fix, severity and construct path.

    from ddbguard.cdk import DdbguardValidator
    app = cdk.App(policy_validation_beta1=[DdbguardValidator()])   # or:
    cdk.Validations.of(app).add_plugins(DdbguardValidator())

The plugin runs the same pipeline as `ddbguard check cdk.out` on the cloud assembly CDK hands it
(cross-stack rules included), with the project's configuration. It only reads the assembly and never
downloads anything. Severities: critical and high failures are CDK errors (synth fails), medium ones
warnings, low and info ones info; an unknown is a warning that says why. ddbguard's own suppressions
(configuration, resource metadata) apply as in `ddbguard check`; CDK acknowledgements
(`Validations.of(construct).acknowledge(Acknowledgment(id="ddbguard::DDB002", reason=...))`) are applied
by CDK itself, which lists them as suppressed violations (and `ddbguard check` honours them the same way).
A finding its rule reports without failing (DDB022 when the app defines no backup plan) is CDK info, with
the reason: CDK prints it, and synth goes on.
"""

from __future__ import annotations

import os
from pathlib import Path

import jsii
from aws_cdk import IPolicyValidationPlugin, PolicyValidationPluginReport, PolicyViolatingResource, PolicyViolation

from ddbguard import __version__
from ddbguard.model import Severity, Status
from ddbguard.report.escape.terminal import terminal_text

CDK_SEVERITY = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
                Severity.LOW: "info", Severity.INFO: "info"}


@jsii.implements(IPolicyValidationPlugin)
class DdbguardValidator:
    """The plugin; every argument is optional.

    config: a .ddbguard.yaml (default: the one found from the working directory up, as `ddbguard check`).
    engine: builtin (default), guard, checkov or all.
    """

    def __init__(self, *, config: str | None = None, engine: str | None = None) -> None:
        self._config = config
        self._engine = engine

    @property
    def name(self) -> str:
        return "ddbguard"

    @property
    def version(self) -> str:
        return __version__

    @property
    def rule_ids(self) -> list[str]:
        from ddbguard.catalog import load_catalog

        return sorted(load_catalog())

    def validate(self, context) -> PolicyValidationPluginReport:
        from ddbguard.commands.check import CheckOptions, run_check
        from ddbguard.config import find_config, load_config
        from ddbguard.join import ACKNOWLEDGED

        config = load_config(Path(self._config) if self._config else find_config(Path.cwd()))
        options = CheckOptions(paths=assembly_roots(list(context.template_paths)), engine=self._engine or config.engine)
        report = run_check(options, config)
        violations = []
        for finding in report.findings:
            # CDK applies its acknowledgements itself (and reports them as suppressed): hand those over too
            acknowledged = finding.status is Status.SUPPRESSED and (finding.suppression_reason or "").startswith(
                ACKNOWLEDGED)
            if finding.status not in (Status.FAIL, Status.UNKNOWN) and not acknowledged and not finding.waived:
                continue
            unknown = finding.status is Status.UNKNOWN
            # a finding its rule says without failing (DDB022 without any backup plan) is CDK info, with why
            said = f" ({finding.suppression_reason})" if finding.waived else ""
            violations.append(PolicyViolation(
                rule_name=finding.rule_id,
                # CDK prints it in the terminal or CI log that runs synth
                description=terminal_text(f"{finding.title}: {'unknown: ' if unknown else ''}{finding.message}{said}"),
                fix=finding.remediation,
                severity="warning" if unknown else "info" if finding.waived else CDK_SEVERITY[finding.severity],
                rule_metadata={"severity": finding.severity.value, "status": finding.status.value,
                               "engine": finding.engine},
                violating_resources=[PolicyViolatingResource(
                    resource_logical_id=finding.logical_id, template_path=finding.file,
                    construct_path=finding.cdk_path, locations=[])]))
        for error in report.errors:  # an input ddbguard could not check is never a pass
            violations.append(PolicyViolation(
                rule_name="input-error", description=terminal_text(str(error)), severity="error",
                fix="ddbguard check the cloud assembly for the details", violating_resources=[]))
        return PolicyValidationPluginReport(
            success=not any(v.severity == "error" for v in violations), violations=violations,
            plugin_version=__version__)


def assembly_roots(template_paths: list[str]) -> list[str]:
    """The outermost cloud assemblies (directories with manifest.json) that hold the templates."""
    directories = set()
    for template in template_paths:
        directory = Path(os.path.abspath(template)).parent
        found = next((d for d in (directory, *directory.parents) if (d / "manifest.json").is_file()), directory)
        directories.add(found)
    return sorted(str(d) for d in directories if not any(other in d.parents for other in directories))
