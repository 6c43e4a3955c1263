#!/usr/bin/env python3
"""Checks that PNG files are plots with something drawn in them.

Usage: png_check.py WIDTH HEIGHT MIN_COLOURED FILE...
Each FILE must be a PNG (signature, IHDR, IDAT, IEND; CRCs right) of
WIDTH x HEIGHT, 8-bit RGB or RGBA, and have at least MIN_COLOURED pixels
of a clear colour (not white, black or grey: the axes, grid and labels of an
empty plot are all grey-scale, its data lines and points are coloured) in
its left 70% (the plots' key, coloured too, is outside the graph at the
right).
Prints one line per file; exits 1 on the first failure."""
import struct
import sys
import zlib


def pixels_coloured(path, width, height):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG (signature)")
    at, idat, ihdr, end = 8, b"", None, False
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise ValueError("bad CRC in chunk %r" % kind)
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            end = True
            break
        at += 12 + length
    if not ihdr or not idat or not end:
        raise ValueError("missing IHDR, IDAT or IEND")
    w, h, depth, ctype, _, _, interlace = ihdr
    if (w, h) != (width, height):
        raise ValueError("%dx%d, expected %dx%d" % (w, h, width, height))
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("not 8-bit RGB(A), non-interlaced (depth %d, colour type %d)" % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    if len(raw) != h * (stride + 1):
        raise ValueError("image data of %d bytes, expected %d" % (len(raw), h * (stride + 1)))
    prev = bytearray(stride)
    coloured = 0
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            elif f != 0:
                raise ValueError("bad filter %d on row %d" % (f, y))
        for x in range(0, (w * 7 // 10) * bpp, bpp):
            r, g, bl = line[x], line[x + 1], line[x + 2]
            if max(r, g, bl) - min(r, g, bl) > 60:
                coloured += 1
        prev = line
    return coloured


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    width, height, least = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    for path in sys.argv[4:]:
        try:
            n = pixels_coloured(path, width, height)
        except (OSError, ValueError, zlib.error, struct.error) as e:
            print("%s: %s" % (path, e))
            return 1
        if n < least:
            print("%s: only %d coloured pixels (at least %d expected): nothing drawn?" % (path, n, least))
            return 1
        print("%s: ok, %dx%d, %d coloured pixels" % (path, width, height, n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
