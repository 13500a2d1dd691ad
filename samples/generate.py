#!/usr/bin/env python3
"""Draws the small sample input images in this folder (PNG, standard library only).

Run from anywhere: python3 samples/generate.py. The output is deterministic, so re-running it
leaves the committed files unchanged.
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def png(path, width, height, pixel):
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows.extend(pixel(x, y))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    data = b"\x89PNG\r\n\x1a\n"
    data += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(bytes(rows), 9))
    data += chunk(b"IEND", b"")
    with open(os.path.join(HERE, path), "wb") as f:
        f.write(data)


def room(wall, floor, sofa, window=True, w=192, h=144):
    def pixel(x, y):
        horizon = h * 2 // 3
        if window and w // 8 < x < w * 3 // 8 and h // 8 < y < h * 3 // 8:
            return (170, 210, 240)
        if w // 2 < x < w * 7 // 8 and horizon - h // 6 < y < horizon + h // 12:
            return sofa
        if y >= horizon:
            shade = 1 - (y - horizon) / (3 * h)
            return tuple(int(c * shade) for c in floor)
        return wall
    return pixel


png("living-room.png", 192, 144, room((222, 214, 196), (150, 110, 70), (90, 120, 150)))
png("rooms/bedroom.png", 192, 144, room((200, 210, 225), (120, 90, 60), (180, 80, 90)))
png("rooms/kitchen.png", 192, 144, room((235, 235, 225), (110, 110, 110), (60, 140, 100), window=False))
png("sofa.png", 96, 64, lambda x, y: (90, 120, 150) if 8 < x < 88 and 16 < y < 56 else (245, 245, 245))
png("rug.png", 96, 64, lambda x, y: (160, 40, 40) if (x // 8 + y // 8) % 2 else (220, 180, 90))
