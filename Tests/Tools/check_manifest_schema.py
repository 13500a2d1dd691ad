#!/usr/bin/env python3
"""Checks manifests against docs/manifest.schema.json with two real validators.

Usage: check_manifest_schema.py SCHEMA --valid FILE... --invalid FILE...

Every --valid file must pass and every --invalid file must fail, both with the `jsonschema`
package (manifests read with PyYAML) and with the `check-jsonschema` command (which reads YAML
itself). Prints one line per file and validator; exits 1 on any disagreement.
"""
import json
import subprocess
import sys

import jsonschema
import yaml


def main(argv):
    schema_path = argv[1]
    valid, invalid, target = [], [], None
    for arg in argv[2:]:
        if arg == "--valid":
            target = valid
        elif arg == "--invalid":
            target = invalid
        else:
            target.append(arg)
    with open(schema_path) as handle:
        schema = json.load(handle)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    problems = 0
    for path, expected in [(p, True) for p in valid] + [(p, False) for p in invalid]:
        with open(path) as handle:
            document = yaml.safe_load(handle)
        errors = list(validator.iter_errors(document))
        ok = not errors
        verdict = "valid" if ok else "invalid: " + errors[0].message[:120]
        mark = "ok " if ok == expected else "BAD"
        print(f"{mark} jsonschema        {path}: {verdict}")
        problems += ok != expected
        result = subprocess.run(
            ["check-jsonschema", "--schemafile", schema_path, path],
            capture_output=True, text=True,
        )
        ok = result.returncode == 0
        mark = "ok " if ok == expected else "BAD"
        print(f"{mark} check-jsonschema  {path}: {'valid' if ok else 'invalid'}")
        if ok != expected:
            print(result.stdout + result.stderr)
        problems += ok != expected
    print(f"{len(valid) + len(invalid)} manifests, {problems} disagreements")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
