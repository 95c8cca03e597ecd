"""A user module the model imports: loaded statically (its top level must not run)."""
import pathlib

pathlib.Path(__file__).with_name("helpers_ran.txt").write_text("the top level of helpers ran")


def scale(value, factor):
    return value * factor
