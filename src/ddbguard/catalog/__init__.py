"""The rule catalog: one entry per rule (rules/<stem>/rule.yaml), the single source of truth for every engine
and report."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from functools import cache

from ddbguard import package_file
from ddbguard.model import Severity


# The AWS Security Hub (CSPM) controls for DynamoDB, as the Security Hub user guide names them ("Security Hub
# controls for DynamoDB"). A rule names one in `security_hub_control` only where the control checks what the rule
# checks; ASFF findings then carry it (Compliance.SecurityControlId), so they sit beside Security Hub's own.
SECURITY_HUB_CONTROLS = {
    "DynamoDB.1": "DynamoDB tables should automatically scale capacity with demand",
    "DynamoDB.2": "DynamoDB tables should have point-in-time recovery enabled",
    "DynamoDB.3": "DynamoDB Accelerator (DAX) clusters should be encrypted at rest",
    "DynamoDB.4": "DynamoDB tables should be present in a backup plan",
    "DynamoDB.5": "DynamoDB tables should be tagged",
    "DynamoDB.6": "DynamoDB tables should have deletion protection enabled",
    "DynamoDB.7": "DynamoDB Accelerator clusters should be encrypted in transit",
}


VALIDATED_CATALOG = "catalog.json"  # in ddbguard.data: the entries parsed and validated once, by `make docs`


class CatalogError(Exception):
    """The packaged catalog is broken: a bug in ddbguard, not in the user's input."""


@dataclass(frozen=True)
class Remediation:
    cloudformation: str
    cdk: str
    cli: str


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    title: str
    severity: Severity
    guide_sections: tuple[str, ...]
    rationale: str
    compliant_when: str
    remediation: Remediation
    resource_types: tuple[str, ...]
    engines: tuple[str, ...]
    enabled_by_default: bool = True
    settings: tuple[str, ...] = ()  # the configuration settings the rule reads (registry.settings_for)
    live_needs: tuple[str, ...] = ()  # what its live adapter reads beyond the audit's usual reads
    security_hub_control: str | None = None  # the Security Hub control that checks the same (SECURITY_HUB_CONTROLS)

    @property
    def stem(self) -> str:
        """The rule's folder (src/ddbguard/rules/<stem>/) and the name of its exported guard rule and checkov check."""
        return f"{self.id.lower()}_{self.name}"


def _schema() -> dict:
    return json.loads(package_file("schemas", "catalog.schema.json").read_text())


def _entry_files() -> list:
    """Every rule's catalog entry (rules/<stem>/rule.yaml), in folder order."""
    folders = sorted(package_file("rules").iterdir(), key=lambda p: p.name)
    return [folder.joinpath("rule.yaml") for folder in folders if folder.joinpath("rule.yaml").is_file()]


def entries_digest(texts: list[bytes]) -> str:
    """What the validated catalog (data/catalog.json) was made from: the entries' text, in folder order, as a CRC-32
    (a check that the cache is current, not a defence: the package's files are trusted; hashlib's OpenSSL would cost
    every run 2 ms to load)."""
    digest = 0
    for text in texts:
        digest = zlib.crc32(len(text).to_bytes(8, "big") + text, digest)
    return f"crc32:{digest:08x}"


def validated_entries(files: list, texts: list[bytes]) -> list[dict]:
    """The entries parsed and checked against the catalog's schema (yaml and jsonschema: slow to import)."""
    import jsonschema
    import yaml

    validator = jsonschema.Draft202012Validator(_schema())
    entries = []
    for file, text in zip(files, texts):
        data = yaml.load(text.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
        if errors:
            raise CatalogError(f"rules/{file.parent.name}/rule.yaml: {errors[0].message}")
        entries.append(data)
    return entries


def _entries(files: list) -> list[dict]:
    """The validated entries: data/catalog.json (`make docs` writes it, test_catalog keeps it current) when it was
    made from the entries as they are now, else parsed and validated here."""
    texts = [file.read_bytes() for file in files]
    validated = package_file("data", VALIDATED_CATALOG)
    if validated.is_file():
        made = json.loads(validated.read_text(encoding="utf-8"))
        if made.get("digest") == entries_digest(texts):
            return made["entries"]
    return validated_entries(files, texts)


def validated_catalog() -> str:
    """The text of data/catalog.json: the entries as they are now, validated, and the digest they have."""
    files = _entry_files()
    texts = [file.read_bytes() for file in files]
    return json.dumps({"digest": entries_digest(texts), "entries": validated_entries(files, texts)}, indent=1,
                      ensure_ascii=False) + "\n"


@cache
def load_catalog() -> dict[str, Rule]:
    """Load and validate every catalog entry, keyed by rule id."""
    rules: dict[str, Rule] = {}
    files = _entry_files()
    for file, data in zip(files, _entries(files)):
        folder = file.parent
        rule = Rule(
            id=data["id"],
            name=data["name"],
            title=data["title"],
            severity=Severity(data["severity"]),
            guide_sections=tuple(data["guide_sections"]),
            rationale=data["rationale"],
            compliant_when=data["compliant_when"],
            remediation=Remediation(**data["remediation"]),
            resource_types=tuple(data["resource_types"]),
            engines=tuple(data["engines"]),
            enabled_by_default=data.get("enabled_by_default", True),
            settings=tuple(data.get("settings", ())),
            live_needs=tuple(data.get("live_needs", ())),
            security_hub_control=data.get("security_hub_control"),
        )
        if rule.security_hub_control is not None and rule.security_hub_control not in SECURITY_HUB_CONTROLS:
            raise CatalogError(f"rules/{folder.name}/rule.yaml: security_hub_control {rule.security_hub_control} is "
                               f"not a Security Hub control for DynamoDB ({', '.join(SECURITY_HUB_CONTROLS)})")
        if folder.name != rule.stem:
            raise CatalogError(f"rules/{folder.name}/rule.yaml: the folder must be named {rule.stem}")
        if rule.id in rules:
            raise CatalogError(f"rules/{folder.name}/rule.yaml: duplicate rule id {rule.id}")
        rules[rule.id] = rule
    return rules
