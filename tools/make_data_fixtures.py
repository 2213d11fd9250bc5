#!/usr/bin/python3
"""Writes the tiny images that tests/data/test_image_folder.cpp reads.

Run with Debian's Python and Pillow:  /usr/bin/python3 tools/make_data_fixtures.py
It rewrites tests/fixtures/images/, an image-folder tree of two classes:

  bars/   a.png (RGB 4x3, pixel (x, y) = (40x, 60y, 200)), b.png (gray 4x3,
          pixel = 10x + 50y), c.jpg (RGB 4x3, solid (255, 0, 0) before JPEG)
  dots/   d.png (RGBA 4x3, pixel = (x, y, 255, 128)), notes.txt (not an image)

The exact pixel rule of each PNG is repeated in the test, which checks the
decoded floats against value / 255.
"""

import os

from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                    "images")
W, H = 4, 3


def image(mode, pixel):
    img = Image.new(mode, (W, H))
    img.putdata([pixel(x, y) for y in range(H) for x in range(W)])
    return img


def main():
    for folder in ("bars", "dots"):
        os.makedirs(os.path.join(ROOT, folder), exist_ok=True)
    image("RGB", lambda x, y: (40 * x, 60 * y, 200)).save(os.path.join(ROOT, "bars", "a.png"))
    image("L", lambda x, y: 10 * x + 50 * y).save(os.path.join(ROOT, "bars", "b.png"))
    image("RGB", lambda x, y: (255, 0, 0)).save(os.path.join(ROOT, "bars", "c.jpg"), quality=95)
    image("RGBA", lambda x, y: (x, y, 255, 128)).save(os.path.join(ROOT, "dots", "d.png"))
    with open(os.path.join(ROOT, "dots", "notes.txt"), "w") as notes:
        notes.write("not an image: ImageFolder skips files with other endings\n")


if __name__ == "__main__":
    main()
