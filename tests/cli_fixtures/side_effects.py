"""A module whose top level writes a file: transpiling it must not run it."""
import pathlib

import numpy as np

pathlib.Path(__file__).with_name("side_effects_ran.txt").write_text("the top level ran")


def loss(x):
    return np.sum(np.sin(x) * x)
