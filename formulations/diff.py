"""``skinlab catalog diff OLD NEW``: what changed between two catalog versions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from formulations.catalog import Catalog


def diff_catalogs(old: Catalog, new: Catalog) -> dict[str, Any]:
    """Added, removed and changed items per section; changed items list the fields that moved."""
    return {
        "old_version": old.version,
        "new_version": new.version,
        "ingredients": _diff_section(old.ingredients, new.ingredients),
        "prohibited": _diff_section(old.prohibited, new.prohibited),
        "bases": _diff_section(old.bases, new.bases),
        "modules": _diff_section(old.modules, new.modules, details=False),
    }


def _diff_section(
    old: Mapping[str, BaseModel], new: Mapping[str, BaseModel], *, details: bool = True
) -> dict[str, Any]:
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    changed: dict[str, Any] = {}
    for key in sorted(set(old) & set(new)):
        before, after = old[key].model_dump(mode="json"), new[key].model_dump(mode="json")
        if before != after:
            fields = {
                name: {"old": before.get(name), "new": after.get(name)}
                for name in sorted(set(before) | set(after))
                if before.get(name) != after.get(name)
            }
            changed[key] = fields if details else sorted(fields)
    return {"added": added, "removed": removed, "changed": changed}


def summarise(diff: Mapping[str, Any]) -> list[str]:
    """One line per section, for people."""
    lines = [f"{diff['old_version']} -> {diff['new_version']}"]
    for section in ("ingredients", "prohibited", "bases", "modules"):
        part = diff[section]
        lines.append(
            f"{section}: +{len(part['added'])} -{len(part['removed'])} ~{len(part['changed'])}"
        )
        for key, fields in list(part["changed"].items())[:20]:
            names = ", ".join(fields) if isinstance(fields, list | dict) else str(fields)
            lines.append(f"  ~ {key}: {names}")
    return lines
