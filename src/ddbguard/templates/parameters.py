"""The parameters a run is given: `--parameters FILE`, as `aws cloudformation create-stack` reads it."""

from __future__ import annotations

import json
from pathlib import Path


class ParametersError(Exception):
    pass


def load_parameters_file(path: str) -> dict[str, str | None]:
    """Read the `create-stack --parameters file://...` JSON list, or a plain {name: value} object. A parameter
    that keeps its previous value (`UsePreviousValue: true`) is None: its value is not known offline."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ParametersError(f"{path}: cannot read parameters file: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParametersError(f"{path}: invalid JSON in parameters file: {exc}") from None
    if isinstance(data, dict) and all(isinstance(v, (str, int, float, bool)) for v in data.values()):
        return {str(k): str(v) for k, v in data.items()}
    if isinstance(data, list) and all(isinstance(p, dict) and "ParameterKey" in p for p in data):
        # UsePreviousValue: the deployed stack's value, which no file says: unknown (never the Default)
        return {p["ParameterKey"]: None if p.get("UsePreviousValue") is True else str(p.get("ParameterValue", ""))
                for p in data if "ParameterValue" in p or p.get("UsePreviousValue") is True}
    raise ParametersError(f"{path}: expected a list of {{ParameterKey, ParameterValue}} or a {{name: value}} object")
