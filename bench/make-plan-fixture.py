#!/usr/bin/env python3
"""Writes the plan benchmark's input: 200 distinct small PNGs and a manifest that expands
to exactly 100,000 jobs (50 prompts x 200 images x 2 models x 5 aspect ratios)."""
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pngfixture import png  # noqa: E402

out = sys.argv[1]
os.makedirs(os.path.join(out, "images"), exist_ok=True)


for i in range(200):
    png(os.path.join(out, "images", f"img{i:03d}.png"), i)

prompts = "\n".join(f"  p{i:02d}: Restyle the room, variation {i}, keep the layout exactly the same." for i in range(50))
with open(os.path.join(out, "plan-100k.yaml"), "w") as f:
    f.write(f"""version: 1
name: plan-100k
prompts:
{prompts}
matrix:
  prompt: [{", ".join(f"p{i:02d}" for i in range(50))}]
  image: ["images/*.png"]
  model: [gpt-image-2, nano-banana-pro]
  aspect_ratio: ["16:9", "1:1", "4:3", "3:4", "9:16"]
""")
