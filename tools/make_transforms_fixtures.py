#!/usr/bin/python3
"""Prints torchvision-equivalent rotations that tests/data/test_transforms.cpp checks.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/make_transforms_fixtures.py
torchvision is not packaged there, so this repeats what torchvision 0.14's
F.rotate does on a tensor (expand=False, center=None, fill=None): the inverse
rotation matrix of _get_inverse_affine_matrix, the pixel-centre grid of
_gen_affine_grid, then grid_sample (bilinear, zero padding,
align_corners=False). The printed values are pasted into the test.
"""

import math

import torch
import torch.nn.functional as F


def rotate(img, angle):
    """img [C, H, W] float64 rotated `angle` degrees counter-clockwise."""
    _, h, w = img.shape
    rot = math.radians(-angle)
    a, b, c, d = math.cos(rot), -math.sin(rot), math.sin(rot), math.cos(rot)
    theta = torch.tensor([d, -b, 0.0, -c, a, 0.0], dtype=torch.float64).reshape(1, 2, 3)
    base = torch.empty(1, h, w, 3, dtype=torch.float64)
    base[..., 0].copy_(torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, w, dtype=torch.float64))
    base[..., 1].copy_(torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, h,
                                      dtype=torch.float64).unsqueeze(-1))
    base[..., 2].fill_(1)
    scaled = theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h], dtype=torch.float64)
    grid = base.view(1, h * w, 3).bmm(scaled).view(1, h, w, 2)
    return F.grid_sample(img.unsqueeze(0), grid, mode="bilinear", padding_mode="zeros",
                          align_corners=False)[0]


def main():
    image = torch.arange(20, dtype=torch.float64).reshape(1, 4, 5) + 1
    for angle in (30.0, -17.5):
        values = rotate(image, angle).flatten().tolist()
        print(f"// rotate(1 + arange(20) as [1, 4, 5], {angle})")
        print("{" + ", ".join(f"{v:.15g}" for v in values) + "}")


if __name__ == "__main__":
    main()
