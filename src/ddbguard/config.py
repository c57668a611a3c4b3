"""Configuration from .ddbguard.yaml or [tool.ddbguard] in pyproject.toml, validated by a JSON Schema."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from ddbguard import package_file
from ddbguard.model import Severity

CONFIG_FILE = ".ddbguard.yaml"


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Suppression:
    rule: str
    resource: str
    reason: str
    expires: dt.date | None = None
    line: int = 0


@dataclass(frozen=True)
class BackupRequirements:
    """DDB022's `backup:` settings: what a plan that selects a table must also do (all off by default)."""

    require_vault_lock: bool = False
    require_copy: tuple[str, ...] = ()  # "cross-region", "cross-account"
    allowed_kms_keys: tuple[str, ...] = ()  # KMS key ARN patterns the vault may be encrypted with; empty: any

    @property
    def any(self) -> bool:
        return bool(self.require_vault_lock or self.require_copy or self.allowed_kms_keys)


@dataclass
class Config:
    source: str | None = None
    engine: str = "builtin"
    fail_on: Severity | None = None
    encryption_level: str = "aws-managed"
    trusted_accounts: tuple[str, ...] = ()
    trusted_organizations: tuple[str, ...] = ()  # DDB013: organizations a `*` principal may be pinned to
    disabled_rules: frozenset[str] = frozenset()
    enabled_rules: frozenset[str] = frozenset()  # rules that are off by default, turned on
    severity_overrides: dict[str, Severity] = field(default_factory=dict)
    suppressions: tuple[Suppression, ...] = ()
    external_exports: dict[str, str] = field(default_factory=dict)  # exports of stacks not in the input
    tables: dict[str, dict] = field(default_factory=dict)  # what the input cannot say about imported tables
    table_variables: tuple[str, ...] = ()  # globs for environment variables that name tables
    naming: dict = field(default_factory=dict)
    environments: dict[str, list[str]] = field(default_factory=dict)  # DDB040: environment -> name patterns
    profiles: tuple = ()  # profiles.Profile, in priority order
    max_backup_age_days: int = 7
    min_backup_retention_days: int = 30  # DDB022: a backup plan keeps recovery points at least this long
    backup: BackupRequirements = field(default_factory=BackupRequirements)  # DDB022: the plan's vault and copies
    min_pitr_recovery_days: int = 35  # DDB024: point-in-time recovery keeps at least this many days (1-35)
    framework_resources: str = "report"  # findings on resources CDK made for itself: report, lower or exclude
    context: tuple[str, ...] = ()  # templates loaded for their references only (paths resolved to the config's folder)


def find_config(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        if (directory / CONFIG_FILE).is_file():
            return directory / CONFIG_FILE
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and "[tool.ddbguard]" in pyproject.read_text(encoding="utf-8", errors="replace"):
            return pyproject
        if (directory / ".git").exists():
            break
    return None


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc.strerror or exc}") from None
    lines: dict[int, int] = {}
    if path.name == "pyproject.toml":
        import tomllib  # only for a pyproject.toml configuration (its patterns take 10 ms to compile)

        try:
            data = tomllib.loads(text).get("tool", {}).get("ddbguard", {})
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    else:
        import yaml  # only for a YAML configuration (PyYAML takes 30 ms to import)

        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark else ""
            raise ConfigError(f"{path}: invalid YAML: {where}{getattr(exc, 'problem', exc)}") from None
        lines = _suppression_lines(node)
    return parse_config(_dates_as_text(data), source=str(path), suppression_lines=lines)


def _suppression_lines(node) -> dict[int, int]:
    """The line of each suppression of a YAML configuration (its composed node)."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return {}
    for key, value in node.value:
        if key.value == "suppressions" and isinstance(value, yaml.SequenceNode):
            return {index: item.start_mark.line + 1 for index, item in enumerate(value.value)}
    return {}


def _dates_as_text(value: object) -> object:
    # YAML and TOML turn 2026-12-31 into a date; the schema (and users) speak ISO text.
    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def parse_config(data: object, *, source: str, suppression_lines: dict[int, int] | None = None) -> Config:
    import jsonschema

    from ddbguard.profiles import parse_profiles

    schema = json.loads(package_file("schemas", "config.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        where = "/".join(str(p) for p in error.absolute_path) or "top level"
        raise ConfigError(f"{source}: {where}: {error.message}")
    assert isinstance(data, dict)
    rules = data.get("rules", {})
    from ddbguard.catalog import load_catalog

    known = load_catalog()
    named = [*rules, *(item["rule"] for item in data.get("suppressions", []) if item["rule"] != "*"),
             *(rule for spec in (data.get("profiles") or {}).values() for rule in spec.get("rules") or {})]
    for rule_id in named:
        if rule_id not in known:
            raise ConfigError(f"{source}: unknown rule {rule_id} (see `ddbguard rules`)")
    suppression_lines = suppression_lines or {}
    return Config(
        source=source,
        engine=data.get("engine", "builtin"),
        fail_on=Severity(data["fail_on"]) if "fail_on" in data else None,
        encryption_level=data.get("encryption_level", "aws-managed"),
        trusted_accounts=tuple(data.get("trusted_accounts", ())),
        trusted_organizations=tuple(data.get("trusted_organizations", ())),
        disabled_rules=frozenset(rule for rule, settings in rules.items() if settings.get("enabled") is False),
        enabled_rules=frozenset(rule for rule, settings in rules.items() if settings.get("enabled") is True),
        tables=dict(data.get("tables", {})),
        table_variables=tuple(data.get("table_variables", ())),
        naming=dict(data.get("naming", {})),
        environments={env: list(patterns) for env, patterns in (data.get("environments") or {}).items()},
        profiles=parse_profiles(data.get("profiles") or {}),
        max_backup_age_days=data.get("max_backup_age_days", 7),
        min_backup_retention_days=data.get("min_backup_retention_days", 30),
        min_pitr_recovery_days=data.get("min_pitr_recovery_days", 35),
        backup=BackupRequirements(**{key: tuple(value) if isinstance(value, list) else value
                                     for key, value in (data.get("backup") or {}).items()}),
        framework_resources=data.get("framework_resources", "report"),
        context=tuple(str(Path(source).parent / path) for path in data.get("context", ())),
        severity_overrides={rule: Severity(s["severity"]) for rule, s in rules.items() if "severity" in s},
        external_exports=dict(data.get("external_exports", {})),
        suppressions=tuple(
            Suppression(
                rule=item["rule"],
                resource=item["resource"],
                reason=item["reason"],
                expires=dt.date.fromisoformat(item["expires"]) if "expires" in item else None,
                line=suppression_lines.get(index, 0),
            )
            for index, item in enumerate(data.get("suppressions", []))
        ),
    )
