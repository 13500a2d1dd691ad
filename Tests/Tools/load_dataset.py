#!/usr/bin/env python3
"""Loads an rh-batch output folder with Hugging Face `datasets` the way dataset builders do,
`load_dataset("imagefolder", data_dir=DIR)`, decodes every image, and prints a JSON summary
(features, and per row: key, prompt, model, the result's size and each input's size) for the
Swift test to compare with the run's report."""
import json
import os
import sys

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")

from datasets import load_dataset  # noqa: E402

folder = sys.argv[1]
cache = sys.argv[2] if len(sys.argv) > 2 else None
# "card": load the folder by its dataset card's configs (README.md), as the Hub would.
if len(sys.argv) > 3 and sys.argv[3] == "card":
    dataset = load_dataset(folder, split="train", cache_dir=cache)
else:
    dataset = load_dataset("imagefolder", data_dir=folder, split="train", cache_dir=cache)
rows = []
for row in dataset:
    rows.append({
        "key": row["key"],
        "prompt": row["prompt"],
        "model": row["model"],
        "sample": row["sample"],
        "image": list(row["image"].size),
        "inputs": [list(image.size) for image in row["input"]],
    })
print(json.dumps({
    "features": {name: type(feature).__name__ + ":" + str(getattr(feature, "dtype", "")) for name, feature in dataset.features.items()},
    "input_feature": str(dataset.features["input"]),
    "rows": rows,
}))
