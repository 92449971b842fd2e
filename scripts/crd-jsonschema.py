#!/usr/bin/env python3
"""Convert CustomResourceDefinitions to strict JSON Schemas for check-jsonschema.

    crd-jsonschema.py OUT_DIR CRD.yaml...

For each served version of each CRD, writes OUT_DIR/<kind>-<group>-<version>.json
(lowercase): the version's openAPIV3Schema with
  - additionalProperties: false on every object that lists its properties and
    neither preserves unknown fields nor says otherwise (strict: a misspelt
    or misplaced field fails, as the API server's structural pruning would drop it),
  - x-kubernetes-int-or-string as integer-or-string,
  - nullable: true as a type that also allows null,
  - apiVersion and kind fixed to the CRD's group/version and kind.
Needs PyYAML (kubernetes-validate brings it into .tools/k8s-venv).
"""
import json
import pathlib
import sys

import yaml


def strict(node):
    if isinstance(node, list):
        return [strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: strict(v) for k, v in node.items()}
    if node.pop("x-kubernetes-int-or-string", False):
        node.pop("type", None)
        node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.pop("nullable", False) and isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
    preserve = node.get("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in node and "additionalProperties" not in node and not preserve:
        node["additionalProperties"] = False
    return node


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for path in sys.argv[2:]:
        for crd in yaml.safe_load_all(pathlib.Path(path).read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            group, kind = spec["group"], spec["names"]["kind"]
            for v in spec["versions"]:
                if not v.get("served", True):
                    continue
                schema = strict(v["schema"]["openAPIV3Schema"])
                props = schema.setdefault("properties", {})
                props["apiVersion"] = {"type": "string", "enum": [f"{group}/{v['name']}"]}
                props["kind"] = {"type": "string", "enum": [kind]}
                schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "metadata"})
                schema["$schema"] = "http://json-schema.org/draft-07/schema#"
                name = out / f"{kind.lower()}-{group.split('.')[0]}-{v['name']}.json"
                name.write_text(json.dumps(schema, indent=1, sort_keys=True))
                print(name)


if __name__ == "__main__":
    main()
