"""Areas of simple shapes."""
import math


def area_of(shape, size):
    if shape == "square"
        return size * size
    if shape == "circle":
        return math.pi * size * size
    raise ValueError(f"unknown shape {shape}")
