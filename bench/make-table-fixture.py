#!/usr/bin/env python3
"""Writes the table benchmark's inputs: 50 small PNGs, a 1,000,000-row captions CSV (each row an
image and its own caption, some quoted with commas) and a 100,000-line Hugging Face style
metadata.jsonl, with a manifest for each (x 1 model)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pngfixture import png  # noqa: E402

out = sys.argv[1]
os.makedirs(os.path.join(out, "data"), exist_ok=True)
for i in range(50):
    png(os.path.join(out, "data", f"img{i:02d}.png"), i)

with open(os.path.join(out, "data", "captions.csv"), "w", newline="") as f:
    f.write("image,prompt\r\n")
    for i in range(1_000_000):
        if i % 3 == 0:
            f.write(f'img{i % 50:02d}.png,"Restyle this room, variation {i}, keep the layout."\r\n')
        else:
            f.write(f"img{i % 50:02d}.png,Restyle this room as variation {i} and keep the layout.\r\n")

with open(os.path.join(out, "data", "metadata.jsonl"), "w") as f:
    for i in range(100_000):
        f.write(json.dumps({"file_name": f"img{i % 50:02d}.png", "text": f"A room, variation {i}."}) + "\n")

for name, table in [("csv-1m", "captions.csv"), ("jsonl-100k", "metadata.jsonl")]:
    with open(os.path.join(out, f"{name}.yaml"), "w") as f:
        f.write(f"version: 1\nname: {name}\nmatrix:\n  rows: data/{table}\n  model: grok-imagine\n")
