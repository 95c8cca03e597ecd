"""What generated derivative code calls at run time, as ``rt.<name>``.

This package imports NumPy and nothing else: a module written by ``retrograd transpile``
needs only NumPy and these helpers (or, with ``--standalone``, a copy of them). Each helper is
small and fast on its common path, because generated code calls them inside loops.
"""
from .core import (DifferentiationError, add, add_at, copy, like, reduce_like,  # noqa: F401
                   seed, unbroadcast, unreduce, zeros_like)
from .linalg import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from . import batch  # noqa: F401,E402  (rt.batch.*: helpers of batched tangent code)
