"""Write src/ddbguard/data/cloudformation.json from the CloudFormation registry schemas that cfn-lint ships.

    python tools/generate_cloudformation_data.py   (make export runs it; tests/test_closed_world.py keeps it current)

It holds what ddbguard needs to know about CloudFormation itself, so that a plain `pip install` knows it too:
- `resource_types`: every resource type of the registry. A type that is not here (a private or third-party
  extension, or a type newer than this list) is not modelled, whatever its name says.
- `replacement`: per DynamoDB table type, the properties whose change makes CloudFormation replace the table:
  the schema's `createOnlyProperties`, united with the properties the CloudFormation resource reference marks
  "Update requires: Replacement" that the schema leaves out (KeySchema and LocalSecondaryIndexes: a table's
  primary key and its local indexes can only be set when it is created).
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "ddbguard" / "data" / "cloudformation.json"

TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
# From the CloudFormation resource reference (AWS::DynamoDB::Table, AWS::DynamoDB::GlobalTable): top-level
# properties marked "Update requires: Replacement" that the registry schemas do not list as create-only.
REFERENCE_REPLACEMENT = {
    "AWS::DynamoDB::Table": ("KeySchema", "LocalSecondaryIndexes"),
    "AWS::DynamoDB::GlobalTable": ("KeySchema", "LocalSecondaryIndexes"),
}


def schemas() -> dict[str, dict]:
    """typeName -> registry schema, as cfn-lint ships them (one file per type, named by a hash)."""
    import cfnlint

    found = {}
    for path in sorted((Path(cfnlint.__file__).parent / "data" / "schemas" / "resources").glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(schema.get("typeName"), str):
            found[schema["typeName"]] = schema
    return found


def generate() -> dict:
    from importlib.metadata import version

    by_type = schemas()
    replacement = {}
    for kind in TABLE_TYPES:
        create_only = [pointer.removeprefix("/properties/") for pointer in by_type[kind].get("createOnlyProperties", [])
                       if pointer.count("/") == 2]  # top-level properties: /properties/Name
        replacement[kind] = sorted(set(create_only) | set(REFERENCE_REPLACEMENT[kind]))
    return {
        "source": f"cfn-lint {version('cfn-lint')} registry schemas and the CloudFormation resource reference",
        "resource_types": sorted(by_type),
        "replacement": replacement,
    }


def main() -> None:
    OUTPUT.write_text(json.dumps(generate(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
