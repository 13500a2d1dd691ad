#!/usr/bin/env python3
"""Writes the catalog benchmark's plan input: 100 small PNGs and a manifest that expands to
100,000 jobs over 20 models of different kinds (image edit, text-to-image, image-to-video,
text-to-video, speech, text-to-3D, image-to-text), 5,000 jobs each. Models are picked from
`rh-batch models --json` (argv[2]): ones whose required fields are the prompt, the image, or
fields with defaults."""
import json
import os
import struct
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pngfixture import png  # noqa: E402

out, binary = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(out, "images"), exist_ok=True)


for i in range(100):
    png(os.path.join(out, "images", f"img{i:03d}.png"), i, width=16, height=12, mix=7)

models = json.loads(subprocess.run([binary, "models", "--json"], check=True, capture_output=True, text=True).stdout)


def runnable(model):
    if "unsupported" in model or model["price"].get("unknown"):
        return False
    roles = [f["field"] for f in model["fields"]]
    if "prompt" not in roles:
        return False
    for field in model["fields"]:
        if field["field"] in ("prompt", "image"):
            if field["field"] == "image" and "PNG" not in field.get("formats", []):
                return False
            continue
        if field["required"] and ("default" not in field or field.get("content")):
            return False
        if field["required"] and field["type"] in ("image", "video", "audio"):
            return False
    return True


wanted = [("image", True, 3), ("image", False, 3), ("video", True, 4), ("video", False, 4), ("audio", False, 3), ("3d", False, 1), ("text", True, 2)]
chosen = []
for output, takes_image, count in wanted:
    found = [m for m in models if m["output"] == output and runnable(m) and (any(f["field"] == "image" for f in m["fields"]) == takes_image)]
    chosen += found[:count]
assert len(chosen) == 20, [m["alias"] for m in chosen]

prompts = "\n".join(f"  p{i:04d}: A scene, variation {i}, keep the layout, change the light to number {i % 97}." for i in range(5000))
blocks = []
for model in chosen:
    if any(f["field"] == "image" for f in model["fields"]):
        blocks.append(f"  - model: {model['endpoint']}\n    prompt: [{', '.join(f'p{i:04d}' for i in range(50))}]\n    image: [\"images/*.png\"]")
    else:
        blocks.append(f"  - model: {model['endpoint']}\n    prompt: [{', '.join(f'p{i:04d}' for i in range(5000))}]")
with open(os.path.join(out, "catalog-100k.yaml"), "w") as f:
    f.write(f"version: 1\nname: catalog-100k\nlayout: \"{{model}}/{{image}}/{{prompt}}_{{key}}.{{ext}}\"\nprompts:\n{prompts}\nmatrix:\n" + "\n".join(blocks) + "\n")
print("models:", ", ".join(m["alias"] for m in chosen))
