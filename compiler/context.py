"""What the passes know about the function being differentiated, in one typed place."""
import dataclasses
import itertools
from typing import Any, Callable, Optional


@dataclasses.dataclass
class Source:
    """The file a function came from, for locating errors and quoting lines in comments."""
    filename: str
    first_line: int
    lines: list

    def line(self, lineno):
        if lineno is None or not 1 <= lineno <= len(self.lines):
            return ""
        return self.lines[lineno - 1].rstrip("\n")


class Names:
    """Fresh, deterministic names that never collide with the user's names."""

    def __init__(self, taken):
        self.taken = set(taken)
        self._counters = {}

    def fresh(self, stem):
        """``_t1``, ``_t2``, ... for stem ``_t``; ``_cond1`` ... for ``_cond``."""
        counter = self._counters.setdefault(stem, itertools.count(1))
        while True:
            candidate = f"{stem}{next(counter)}"
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate

    def reserve(self, wanted):
        """``wanted`` itself if free, else ``wanted_`` and so on."""
        candidate = wanted
        while candidate in self.taken:
            candidate += "_"
        self.taken.add(candidate)
        return candidate


@dataclasses.dataclass
class Context:
    """One function on its way through the pipeline."""
    name: str
    source: Source
    namespace: dict                 # globals, closure cells and builtins the body may name
    params: list                    # positional-or-keyword parameter names, in order
    wrt: tuple = ()                 # names of the parameters to differentiate
    function: Optional[Callable] = None
    param_kinds: dict = dataclasses.field(default_factory=dict)  # name -> 'array'|'list'|...
    param_ranks: dict = dataclasses.field(default_factory=dict)  # name -> ndim or None
    same_shape: dict = dataclasses.field(default_factory=dict)   # name -> first param of its shape
    param_dims: dict = dataclasses.field(default_factory=dict)   # name -> dimension classes
    tuples: dict = dataclasses.field(default_factory=dict)       # temp -> its one tuple value
    ranks: dict = dataclasses.field(default_factory=dict)        # filled by ranks
    shapes: dict = dataclasses.field(default_factory=dict)       # filled by ranks
    generated_names: dict = dataclasses.field(default_factory=dict)  # name -> object our code uses
    kinds: Any = None               # filled by ranks: list/tuple/dict/array per name
    inplace_updates: list = dataclasses.field(default_factory=list)  # (name, line) of `x += v`
    optimize: bool = True
    names: Any = None
    locals: set = dataclasses.field(default_factory=set)
    resolution: Any = None          # filled by resolve
    activity: Any = None            # filled by activity
