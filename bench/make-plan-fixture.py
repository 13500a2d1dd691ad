#!/usr/bin/env python3
"""Writes the plan benchmark's input: 200 distinct small PNGs and a manifest that expands
to exactly 100,000 jobs (50 prompts x 200 images x 2 models x 5 aspect ratios)."""
import os
import struct
import sys
import zlib

out = sys.argv[1]
os.makedirs(os.path.join(out, "images"), exist_ok=True)


def png(path, seed):
    width, height = 32, 24
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"".join(bytes((seed % 256, (seed // 256 + x) % 256, y % 256)) for x in range(width)) for y in range(height))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


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
