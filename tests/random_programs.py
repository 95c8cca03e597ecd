"""Random Python/NumPy programs for differential testing of retrograd (issue 8).

``programs()`` is a hypothesis strategy that writes the source text of a small module::

    import math
    import numpy as np

    def h0(p, q):            # 0-2 helpers, each may call the earlier ones
        ...
        return <expr>

    def f(x, v):             # or f(x, v, w): x a float, v and w float arrays of length N
        ...
        return <scalar expr>

from a typed grammar (scalars and arrays of a known length):

- expressions: constants, variables, ``v[i]`` (constant, loop-counter, ``(i + c) % n`` and
  ``n - 1 - i`` indices), slices ``v[1:3]``, ``v[::-1]``, ``v[::2]``; ``+ - *``, division by a
  denominator bounded away from zero, ``** 2``, smooth elementwise functions (sin, cos, tanh,
  arctan, exp of a bounded argument, log and sqrt of ``1 + e*e``, ``math.*`` on scalars);
  reductions (``np.sum``, ``np.mean``, ``np.prod``, ``np.var``, ``np.dot``, ``@``,
  ``builtins.sum``, ``.sum()``/``.mean()``); ``np.cumsum``, ``np.flip``, ``np.roll``,
  ``np.concatenate``; conditional expressions; calls of the helpers;
- statements: new scalars and arrays, arrays made to be written in place (``v * 1.0``,
  ``np.zeros_like(v)``, ``v.copy()``, ...), rebinding (also of parameters, at top level),
  ``s += e`` / ``s -= e`` / ``s *= e``, in-place updates ``a[i] = e``, ``a[i] += e``,
  ``a[i] *= e``, ``a[1:3] = e``, ``a[1:3] += e``, ``a += e``; ``for`` over ``range`` (with
  start/stop/step, zero trips, downwards), over an array, ``enumerate``, ``zip`` and
  ``reversed``; ``while k < n:`` with the counter bumped first or last; ``if/elif/else``;
  ``break``, ``continue`` and early ``return`` under stable conditions; tuple-returning helpers
  unpacked into two names.
- aliasing, in about one statement in ``ALIAS_ODDS``: a new name for (part of) an array's
  memory -- ``b = a``, ``b = a if cond else c``, views ``a[1:]``, ``a[::2]``, ``a[::-1]``,
  ``np.flip(a)``, ``a.T``, ``a.reshape(n)``, ``a.ravel()``, ``np.asarray(a)``, a 2x2
  ``a.reshape(2, 2)`` (``.T``), a list ``[a, c]`` and ``b = l[0]``, a helper that may return its
  argument -- or an existing name rebound to a view, then maybe at once an in-place change
  through either name; later statements (also in loops) read and change both names.  Only
  memory the function made is ever changed (never a parameter's).  Such a program
  (``meta["aliasing"]``) may be refused with the aliasing message instead.

Every branch condition is stable under the small perturbations of finite differences: it
tests a loop counter, a length, or a parameter (``x``, ``v[j]``) that has not been rebound,
against a constant at least ``MARGIN`` away from the parameter's input value (the inputs are
drawn first, so the generator knows them).  Every denominator, ``log`` and ``sqrt`` argument
is bounded away from zero, and no non-smooth function (abs, max, min, maximum) is used, so the
function is smooth at the inputs and central differences are a valid oracle.

Programs are built from hypothesis draws (small integers picking grammar alternatives, the
simplest first), so a failing program shrinks to a minimal one.
"""
import ast
import importlib.util
import itertools
import json
import math
import os
import re
import sys
import tempfile
import traceback
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

N = 4                   # length of the array parameters
MARGIN = 0.3            # |parameter - constant| in every data-dependent branch condition
SCALAR_PARAM = "x"
ALIAS_ODDS = 12         # about one statement in ALIAS_ODDS is an alias construct
ARRAY_PARAMS = ("v", "w")

HEADER = "import math\nimport numpy as np\n"


# =============================================================================================
# the program object: source + inputs, loading, serialisation
# =============================================================================================

@dataclass
class Program:
    """A generated module (``source``) whose function ``f`` is checked at ``inputs``."""
    source: str
    inputs: dict                      # {"x": float, "v": [..], "w": [..]?, "tangent": {...}}
    params: tuple = ("x", "v")
    meta: dict = field(default_factory=dict)

    def args(self):
        return tuple(float(self.inputs[p]) if p == SCALAR_PARAM else
                     np.array(self.inputs[p], dtype=float) for p in self.params)

    def tangents(self):
        t = self.inputs["tangent"]
        return tuple(float(t[p]) if p == SCALAR_PARAM else np.array(t[p], dtype=float)
                     for p in self.params)

    def listing(self):
        return (f"{self.source.rstrip()}\n\n# inputs: {json.dumps(self.inputs)}\n")

    def load(self):
        """Import the source from a file of its own, so ``inspect.getsource`` works."""
        return load_module(self.source)


_DIR = None
_COUNTER = itertools.count()


def load_module(source):
    global _DIR
    if _DIR is None:
        _DIR = tempfile.mkdtemp(prefix="retrograd_random_programs_")
    name = f"rp_{os.getpid()}_{next(_COUNTER)}"
    path = os.path.join(_DIR, name + ".py")
    with open(path, "w") as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module        # helpers are found through the module's globals
    spec.loader.exec_module(module)
    return module


# --- the regression file ---------------------------------------------------------------------
#
#   # === case <id>
#   # xfail: <reason>           (optional: a known compiler bug, see the report)
#   # reference: forward        (optional: finite differences are too noisy at these inputs to
#                                judge the gradient; it is checked against forward-mode columns
#                                and, loosely, against a finer central difference)
#   # reference: refusal        (optional: the right answer is a DifferentiationError)
#   # inputs: {"x": ..., "v": [...], "tangent": {...}}
#   <module source>
#

CASE_MARK = "# === case "


def parse_regressions(text):
    cases = []
    for chunk in text.split(CASE_MARK)[1:]:
        head, _, rest = chunk.partition("\n")
        case_id = head.strip()
        xfail = None
        inputs = None
        meta = {}
        lines = []
        for line in rest.splitlines():
            if line.startswith("# xfail:") and inputs is None:
                xfail = line[len("# xfail:"):].strip()
            elif line.startswith("# reference:") and inputs is None:
                meta["reference"] = line[len("# reference:"):].strip()
            elif line.startswith("# inputs:") and inputs is None:
                inputs = json.loads(line[len("# inputs:"):])
            elif line.startswith("#") and inputs is None:
                continue                      # a comment on the case
            else:
                lines.append(line)
        source = "\n".join(lines).strip() + "\n"
        params = ("x", "v", "w") if "w" in inputs else ("x", "v")
        cases.append((case_id, xfail, Program(source, inputs, params, meta)))
    return cases


def format_case(case_id, program, xfail=None, comment=None):
    out = [f"{CASE_MARK}{case_id}"]
    if comment:
        out += [f"# {line}" for line in comment.splitlines()]
    if xfail:
        out.append(f"# xfail: {xfail}")
    out.append(f"# inputs: {json.dumps(program.inputs)}")
    out.append(program.source.rstrip())
    return "\n".join(out) + "\n\n"


# =============================================================================================
# the grammar
# =============================================================================================

class Scope:
    """What a point of the program can use."""

    def __init__(self):
        self.scalars = []        # float variables
        self.arrays = {}         # array variable -> length
        self.owned = set()       # arrays this function created (safe to write in place)
        self.ints = {}           # int variable -> (lowest, highest) value it can have here
        self.known = {}          # unrebound parameter -> its input value (for conditions)
        self.params = set()
        self.loop = None         # None, "for" or "while": what `break`/`continue` would leave
        self.can_continue = False
        self.top = True          # straight-line top level of the function
        self.in_helper = False
        # aliasing (see ``Builder.alias``): what may share memory with what, lists holding
        # arrays, and 2x2 matrices that are views of arrays of length 4
        self.shares = {}         # name -> names that may refer to (part of) the same memory
        self.lists = {}          # list variable -> [(element name, length, writable)]
        self.matrices = set()    # 2x2 views (``a.reshape(2, 2)``); writable if in ``owned``

    def child(self, **changes):
        new = Scope()
        new.scalars = list(self.scalars)
        new.arrays = dict(self.arrays)
        new.owned = set(self.owned)
        new.ints = dict(self.ints)
        new.known = dict(self.known)
        new.params = self.params
        new.loop, new.can_continue, new.top = self.loop, self.can_continue, False
        new.in_helper = self.in_helper
        new.shares = {name: set(others) for name, others in self.shares.items()}
        new.lists = {name: list(elements) for name, elements in self.lists.items()}
        new.matrices = set(self.matrices)
        for key, value in changes.items():
            setattr(new, key, value)
        return new

    def share(self, name, others):
        """``name`` now may refer to the memory of each of ``others`` (and of what they share)."""
        group = set()
        for other in others:
            group |= {other} | self.shares.get(other, set())
        group.discard(name)
        self.shares[name] = group
        for other in group:
            self.shares.setdefault(other, set()).add(name)

    def unshare(self, name):
        """``name`` is bound to a new object."""
        for other in self.shares.pop(name, set()):
            self.shares.get(other, set()).discard(name)


def strip(text):
    return text[1:-1] if text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]) \
        else text


def _balanced(text):
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


CONSTANTS = ["0.5", "2.0", "1.5", "-0.7", "0.3", "3"]
UNARY = [
    "np.sin({})", "np.cos({})", "np.tanh({})", "{} ** 2", "-{}", "np.exp(np.sin({}))",
    "np.log(1.0 + {0} * {0})", "np.sqrt(1.0 + {0} * {0})", "np.arctan({})",
    "np.exp(np.tanh({}))", "np.square({})", "np.log1p({0} * {0})", "np.sinh(np.sin({}))",
    "np.exp(-{0} * {0})",
]
SCALAR_UNARY = ["math.sin({})", "math.exp(math.tanh({}))", "math.sqrt(2.0 + math.cos({}))"]
BINARY = ["+", "-", "*"]


class Builder:
    def __init__(self, draw, inputs, params):
        self.draw = draw
        self.inputs = inputs
        self.params = params
        self.helpers = []          # (name, param kinds, result kind) ; kind "s", "a" or "t"
        self.counter = itertools.count()
        self.budget = 0            # statements still allowed in the current function
        self.aliasing = True       # may bind values that share memory (``Builder.alias``)
        self.alias_names = set()   # names that took part in an alias construct
        self.written = set()       # names changed in place (``a[i] = e``, ``a += e``, ...)

    # --- draws ---------------------------------------------------------------------------------

    def pick(self, n):
        """An alternative in range(n); shrinks towards 0 (list the simplest first)."""
        return self.draw(st.integers(0, n - 1)) if n > 1 else 0

    def choice(self, options):
        return options[self.pick(len(options))]

    def coin(self):
        return self.draw(st.booleans())

    def fresh(self, prefix):
        return f"{prefix}{next(self.counter)}"

    # --- scalar expressions ----------------------------------------------------------------

    def scalar(self, scope, depth):
        kind = self.pick(7) if depth > 0 else 0
        if kind == 0:
            return self.scalar_leaf(scope)
        if kind == 1:
            return self.unary(self.scalar(scope, depth - 1), scalar=True)
        if kind == 2:
            left, right = self.scalar(scope, depth - 1), self.scalar(scope, depth - 1)
            return self.binary(left, right)
        if kind == 3:
            return self.reduction(scope, depth - 1)
        if kind == 4:
            return self.helper_call(scope, "s", depth - 1) or self.scalar_leaf(scope)
        if kind == 5:
            top, bottom = self.scalar(scope, depth - 1), self.scalar(scope, depth - 1)
            return self.divide(top, bottom)
        cond = self.condition(scope)
        if cond is None:
            return self.scalar_leaf(scope)
        return f"({self.scalar(scope, depth - 1)} if {cond} else " \
               f"{self.scalar(scope, depth - 1)})"

    def scalar_leaf(self, scope):
        if scope.matrices and self.pick(4) == 3:
            return self.matrix_read(scope)
        kind = self.pick(4)
        if kind == 1 or not (scope.scalars or scope.arrays):
            return self.choice(CONSTANTS)
        if kind >= 2 and scope.arrays:
            name = self.choice(sorted(scope.arrays))
            return f"{name}[{self.index(scope, scope.arrays[name])}]"
        if scope.scalars:
            return self.choice(scope.scalars)
        return self.choice(CONSTANTS)

    def index(self, scope, length):
        """An int index expression valid for an array of ``length`` at this point."""
        options = ["const"]
        ints = sorted(scope.ints)
        direct = [i for i in ints if -length <= scope.ints[i][0] and scope.ints[i][1] < length]
        positive = [i for i in ints if scope.ints[i][0] >= 0]
        mirrored = [i for i in ints if 0 <= scope.ints[i][0] and scope.ints[i][1] < length]
        if direct:
            options.append("direct")
        if positive:
            options.append("mod")
        if mirrored:
            options.append("mirror")
        kind = self.choice(options)
        if kind == "direct":
            return self.choice(direct)
        if kind == "mod":
            return f"({self.choice(positive)} + {self.pick(length)}) % {length}"
        if kind == "mirror":
            return f"{length} - 1 - {self.choice(mirrored)}"
        return str(self.draw(st.integers(-length, length - 1)))

    def unary(self, arg, scalar):
        options = UNARY + (SCALAR_UNARY if scalar else [])
        template = self.choice(options)
        if "{0}" in template or template.startswith("-") or "** 2" in template:
            return template.format(_paren(arg))
        return template.format(strip(arg))

    def binary(self, left, right):
        op = self.choice(BINARY)
        return f"({left} {op} {right})"

    def divide(self, top, bottom):
        form = self.pick(3)
        if form == 0:
            return f"({top} / (1.0 + {_paren(bottom)} ** 2))"
        if form == 1:
            return f"({top} / (2.0 + np.cos({strip(bottom)})))"
        return f"({top} / 4.0)"

    def reduction(self, scope, depth):
        length = self.choice([N, 2, 3])
        kind = self.pick(9)
        arr = self.array(scope, length, depth)
        if kind == 0:
            return f"np.sum({strip(arr)})"
        if kind == 1:
            return f"np.mean({strip(arr)})"
        if kind == 2:
            return f"np.prod(np.cos({strip(arr)}))"
        if kind == 3:
            return f"{_paren(arr)}.sum()"
        if kind == 4:
            other = self.array(scope, length, depth)
            return f"np.dot({strip(arr)}, {strip(other)})"
        if kind == 5:
            other = self.array(scope, length, depth)
            return f"({_paren(arr)} @ {_paren(other)})"
        if kind == 6:
            return f"np.var({strip(arr)})"
        if kind == 7:
            return f"sum({strip(arr)})"
        return f"{_paren(arr)}.mean()"

    # --- array expressions -----------------------------------------------------------------

    def array(self, scope, length, depth):
        kind = self.pick(7) if depth > 0 else 0
        if kind == 0:
            return self.array_leaf(scope, length)
        if kind == 1:
            return self.unary(self.array(scope, length, depth - 1), scalar=False)
        if kind == 2:
            mix = self.pick(3)
            left = self.array(scope, length, depth - 1) if mix != 2 else self.scalar(scope,
                                                                                  depth - 1)
            right = self.array(scope, length, depth - 1) if mix != 1 else self.scalar(scope,
                                                                                   depth - 1)
            return self.binary(left, right)
        if kind == 3:
            return self.divide(self.array(scope, length, depth - 1),
                               self.choice([self.scalar, lambda s, d: self.array(s, length, d)])(
                                   scope, depth - 1))
        if kind == 4:
            return self.shape_op(scope, length, depth - 1)
        if kind == 5 and length == N:
            found = self.helper_call(scope, "a", depth - 1)
            if found:
                return found
        if kind == 6:
            cond = self.condition(scope)
            if cond is not None:
                return f"({self.array(scope, length, depth - 1)} if {cond} else " \
                       f"{self.array(scope, length, depth - 1)})"
        return self.array_leaf(scope, length)

    def array_leaf(self, scope, length):
        held = sorted(f"{l}[{j}]" for l, elements in scope.lists.items()
                      for j, (_, n, _) in enumerate(elements) if n == length)
        if held and self.pick(3) == 2:
            return self.choice(held)
        same = sorted(a for a, n in scope.arrays.items() if n == length)
        longer = sorted(a for a, n in scope.arrays.items() if n > length)
        double = sorted(a for a, n in scope.arrays.items() if n >= 2 * length - 1)
        kind = self.pick(5)
        if kind == 1 and longer:
            name = self.choice(longer)
            start = self.pick(scope.arrays[name] - length + 1)
            stop = start + length
            if start == 0:
                return f"{name}[:{stop}]"
            if stop == scope.arrays[name]:
                return f"{name}[{start}:]"
            return f"{name}[{start}:{stop}]"
        if kind == 2 and same:
            return f"{self.choice(same)}[::-1]"
        if kind == 3 and double:
            name = self.choice(double)
            start = self.pick(scope.arrays[name] - 2 * length + 2)
            return f"{name}[{start}::2]" if start + 2 * length - 1 >= scope.arrays[name] \
                else f"{name}[{start}:{start + 2 * length - 1}:2]"
        if same:
            return self.choice(same)
        if longer:
            return f"{self.choice(longer)}[:{length}]"
        constant = self.pick(3)
        if constant == 0:
            return f"np.linspace(0.1, 0.9, {length})"
        if constant == 1:
            return f"np.ones({length})"
        return f"(np.arange({length}) * 0.5)"

    def shape_op(self, scope, length, depth):
        kind = self.pick(5)
        arr = self.array(scope, length, depth)
        if kind == 0:
            return f"np.cumsum({strip(arr)})"
        if kind == 1:
            return f"np.flip({strip(arr)})"
        if kind == 2:
            return f"np.roll({strip(arr)}, {self.pick(length) + 1 if length > 1 else 1})"
        if kind == 3 and length >= 2:
            cut = self.pick(length - 1) + 1
            first = self.array(scope, cut, depth)
            second = self.array(scope, length - cut, depth)
            return f"np.concatenate(({strip(first)}, {strip(second)}))"
        return f"{_paren(arr)}[::-1]"

    # --- helper calls ------------------------------------------------------------------------

    def helper_call(self, scope, result, depth):
        candidates = [h for h in self.helpers if h[2] == result]
        if not candidates:
            return None
        name, kinds, _ = self.choice(candidates)
        args = [strip(self.scalar(scope, depth)) if k == "s" else strip(self.array(scope, N,
                                                                                   depth))
                for k in kinds]
        return f"{name}({', '.join(args)})"

    # --- conditions (stable under perturbation) ---------------------------------------------

    def condition(self, scope):
        options = []
        if scope.ints:
            options.append("int")
        if scope.known:
            options.append("data")
        if not options or self.pick(8) == 7:
            options.append("shape")
        kind = self.choice(options)
        if kind == "int":
            name = self.choice(sorted(scope.ints))
            lo, hi = scope.ints[name]
            form = self.pick(5)
            c = self.draw(st.integers(lo, hi))
            if form == 0:
                return f"{name} % 2 == {self.pick(2)}"
            if form == 1:
                return f"{name} < {c}"
            if form == 2:
                return f"{name} == {c}"
            if form == 3:
                return f"{name} >= {c}"
            return f"not {name} == {c}"
        if kind == "data":
            name = self.choice(sorted(scope.known))
            value = scope.known[name]
            if isinstance(value, list):
                j = self.pick(len(value))
                target, value = f"{name}[{j}]", value[j]
            else:
                target = name
            above = self.coin()                      # is the parameter above the constant?
            offset = MARGIN + self.pick(4) * 0.25
            c = round(value - offset if above else value + offset, 2)
            op = self.choice([">", "<"])
            truth = (op == ">") == above
            text = f"{target} {op} {c}"
            if self.pick(3) == 2:                    # and/or with a second stable test
                other = self.condition(scope)
                if other is not None:
                    return f"{text} {'and' if truth else 'or'} {other}"
            return text
        if not scope.arrays:
            return self.choice(["len([1, 2, 3]) > 2", "len([1, 2]) == 3"])
        name = self.choice(sorted(scope.arrays))
        return self.choice([f"len({name}) > 2", f"{name}.shape[0] == 3"])

    # --- statements --------------------------------------------------------------------------

    def block(self, scope, size, depth):
        """``size`` statements (each maybe compound) as a list of lines."""
        lines = []
        for _ in range(size):
            if self.budget <= 0:
                break
            self.budget -= 1
            lines += self.statement(scope, depth)
        return lines

    def statement(self, scope, depth):
        kinds = ["scalar", "array", "owned", "update", "inplace", "for", "while", "if",
                 "tuple", "jump"]
        if scope.loop:              # loop bodies: mostly accumulators and in-place updates
            kinds = ["update", "inplace", "scalar", "inplace", "update", "if", "jump", "for",
                     "while", "array", "tuple", "owned"]
        if self.aliasing and self.pick(ALIAS_ODDS) == ALIAS_ODDS - 1:
            found = self.alias(scope, self.pick(2) + 1)
            if found:
                return found
        kind = kinds[self.pick(len(kinds))]
        expr_depth = self.pick(3) + 1
        if kind == "array":
            length = self.choice([N, 2, 3]) if not scope.in_helper else N
            name = self.fresh("a")
            text = self.array(scope, length, expr_depth)
            if _is_view(text):                       # never bind a view: keep arrays owned
                text = f"{_paren(text)} * 1.0"
            scope.arrays[name] = length
            scope.owned.add(name)
            return [f"{name} = {strip(text)}"]
        if kind == "owned":
            name = self.fresh("a")
            sources = sorted(a for a, n in scope.arrays.items() if n == N)
            base = self.choice(sources) if sources else None
            if base is None:
                forms = ["np.zeros(4)", "np.ones(4) * 0.5"]
            else:
                forms = [f"{base} * 1.0", f"np.zeros_like({base})", f"{base}.copy()",
                         f"np.array({base})", f"np.copy({base})", f"np.zeros({N})"]
            scope.arrays[name] = N
            scope.owned.add(name)
            return [f"{name} = {self.choice(forms)}"]
        if kind == "update":
            return self.update(scope, expr_depth)
        if kind == "inplace":
            return self.inplace(scope, expr_depth)
        if kind == "for" and depth > 0:
            return self.for_loop(scope, depth)
        if kind == "while" and depth > 0:
            return self.while_loop(scope, depth)
        if kind == "if" and depth > 0:
            return self.if_statement(scope, depth)
        if kind == "tuple":
            found = self.tuple_call(scope, expr_depth)
            if found:
                return found
        if kind == "jump" and (scope.loop or not (scope.top or scope.in_helper)):
            return self.jump(scope)
        name = self.fresh("s")
        text = self.scalar(scope, expr_depth)
        scope.scalars.append(name)
        return [f"{name} = {strip(text)}"]

    def update(self, scope, depth):
        targets = [s for s in scope.scalars if s not in scope.params or scope.top]
        arrays = [a for a in scope.arrays if a not in scope.params or scope.top]
        if arrays and (self.coin() or not targets):
            name = self.choice(sorted(arrays))
            text = self.array(scope, scope.arrays[name], depth)
            if _is_view(text):
                text = f"{_paren(text)} * 1.0"
            line = f"{name} = {strip(text)}"
            if self.coin():
                line = f"{name} = {name} * {_paren(self.scalar(scope, depth - 1))}"
            elif self.aliasing and self.pick(ALIAS_ODDS) == ALIAS_ODDS - 1:
                rebound = self.rebind_view(scope, name)
                if rebound:
                    return rebound
            scope.owned.add(name)
            scope.known.pop(name, None)
            scope.unshare(name)
            return [line]
        if not targets:
            name, text = self.fresh("s"), strip(self.scalar(scope, depth))
            scope.scalars.append(name)
            return [f"{name} = {text}"]
        name = self.choice(targets)
        form = self.pick(5)
        text = strip(self.scalar(scope, depth))
        scope.known.pop(name, None)
        if form == 0:
            return [f"{name} = {text}"]
        if form == 1:
            return [f"{name} += {text}"]
        if form == 2:
            return [f"{name} -= {text}"]
        if form == 3:
            return [f"{name} *= np.cos({text})"]
        return [f"{name} = {name} * 0.5 + {_paren(text)}"]

    def inplace(self, scope, depth):
        owned = sorted(a for a in scope.owned if a in scope.arrays)
        if not owned:
            return self.statement_owned_then_write(scope, depth)
        if (scope.matrices & scope.owned or self.writable_lists(scope)) \
                and self.pick(3) == 2:
            return self.inplace_other(scope, depth)
        return self.write(scope, self.choice(owned), depth)

    def write(self, scope, name, depth):
        """An in-place change of the (owned) array ``name``."""
        self.written.add(name)
        length = scope.arrays[name]
        form = self.pick(7)
        if form <= 2:
            op = ["=", "+=", "*="][form]
            value = strip(self.scalar(scope, depth))
            if op == "*=":
                value = f"np.cos({value})"
            return [f"{name}[{self.index(scope, length)}] {op} {value}"]
        if form <= 4 and length >= 2:
            start = self.pick(length - 1)
            stop = start + 1 + self.pick(length - start)
            op = "=" if form == 3 else "+="
            return [f"{name}[{start}:{stop}] {op} {strip(self.array(scope, stop - start, depth))}"]
        if form == 5:
            return [f"{name} += {strip(self.array(scope, length, depth))}"]
        return [f"{name} *= {_paren(self.scalar(scope, depth))}"]

    # --- aliasing: names that share memory, then in-place changes through either -----------

    def alias(self, scope, depth):
        """Bind a value that shares memory with an array in scope (``b = a``, ``b = a if c
        else d``, a view ``a[1:]``/``a[::-1]``/``np.flip(a)``/``a.T``/``a.reshape(...)``,
        ``np.asarray(a)``, a list holding ``a`` or an element taken from one, a 2x2
        ``a.reshape(2, 2)``, a helper that may return its argument), maybe followed at once by an in-place change through one of the
        names.  The new name is writable iff everything it may refer to is (never a
        parameter's memory).  retrograd must get such a program right or refuse it with its
        aliasing message (``ALIAS_REFUSAL``); ``alias_names`` and ``written`` record what the
        program does, so that only such a program may be refused."""
        if not scope.arrays:
            return None
        source = self.choice(sorted(scope.arrays))
        length = scope.arrays[source]
        owned = source in scope.owned
        form = self.pick(8)
        if form == 5:
            return self.alias_list(scope, source, depth)
        if form == 6 and length == N:
            return self.alias_matrix(scope, source, depth)
        name = self.fresh("b")
        sources = [source]
        if form == 1:
            others = sorted(a for a, n in scope.arrays.items() if n == length and a != source)
            cond = self.condition(scope)
            if cond is None:
                cond = "len([1, 2, 3]) > 2"
            other = self.choice(others) if others and self.pick(3) else f"{source}[::-1]"
            if other in scope.arrays:
                sources.append(other)
                owned = owned and other in scope.owned
            text = f"{source} if {cond} else {other}" if self.coin() else \
                f"{other} if {cond} else {source}"
        elif form == 2:
            text, length = self.choice(_slice_views(source, length))
        elif form == 3:
            text = self.choice([f"{source}[::-1]", f"np.flip({source})"])
        elif form == 4:
            text = self.choice([f"{source}.T", f"{source}.reshape({length})",
                                f"{source}.reshape(-1)", f"np.reshape({source}, {length})",
                                f"np.asarray({source})", f"{source}.ravel()",
                                f"np.ravel({source})", f"{source}[:]"])
        elif form == 7 and length == N and self.identity_helpers() and self.coin():
            text = f"{self.choice(self.identity_helpers())}({source})"
        elif form == 7 and scope.lists:
            held = sorted((l, j) for l, elements in scope.lists.items()
                          for j in range(len(elements)))
            held_list, j = self.choice(held)
            source, length, owned = scope.lists[held_list][j]
            sources = [source, held_list]
            text = f"{held_list}[{j}]"
        else:
            text = source
        scope.arrays[name] = length
        if owned:
            scope.owned.add(name)
        scope.share(name, sources)
        self.alias_names.update([name] + sources)
        lines = [f"{name} = {text}"]
        return lines + self.alias_write(scope, [name, source], depth)

    def alias_write(self, scope, names, depth):
        """Maybe an in-place change through one of ``names`` right away."""
        writable = [n for n in names if n in scope.owned and n in scope.arrays]
        if not writable or self.pick(3) == 0:
            return []
        return self.write(scope, self.choice(writable), depth)

    def rebind_view(self, scope, name):
        """``name = <view of another array>``: an existing name starts to share memory."""
        length = scope.arrays[name]
        sources = sorted(a for a, n in scope.arrays.items()
                         if n >= length and a != name
                         and (a in scope.owned or name not in scope.owned))
        if not sources:
            return None
        source = self.choice(sources)
        views = [(text, n) for text, n in _slice_views(source, scope.arrays[source]) + [
            (f"np.flip({source})", scope.arrays[source]), (source, scope.arrays[source])]
            if n == length]
        if not views:
            return None
        text = self.choice(views)[0]
        scope.known.pop(name, None)
        scope.unshare(name)
        if source in scope.owned:
            scope.owned.add(name)
        else:
            scope.owned.discard(name)
        scope.share(name, [source])
        self.alias_names.update([name, source])
        return [f"{name} = {text}"]

    def identity_helpers(self):
        """Helpers of one array argument returning an array (which may be that argument)."""
        return [h for h, kinds, result in self.helpers if kinds == ["a"] and result == "a"]

    def alias_list(self, scope, source, depth):
        name = self.fresh("l")
        elements = [source]
        if self.coin():
            elements.append(self.choice(sorted(scope.arrays)))
            if self.coin():
                elements.reverse()
        scope.lists[name] = [(e, scope.arrays[e], e in scope.owned) for e in elements]
        scope.share(name, elements)
        self.alias_names.update([name] + elements)
        lines = [f"{name} = [{', '.join(elements)}]"]
        return lines + self.alias_write(scope, elements, depth)

    def alias_matrix(self, scope, source, depth):
        name = self.fresh("m")
        text = self.choice([f"{source}.reshape(2, 2)", f"np.reshape({source}, (2, 2))",
                            f"{source}.reshape((2, 2))", f"{source}.reshape(2, 2).T",
                            f"{source}.reshape(2, -1)"])
        scope.matrices.add(name)
        if source in scope.owned:
            scope.owned.add(name)
        scope.share(name, [source])
        self.alias_names.update([name, source])
        lines = [f"{name} = {text}"]
        if name in scope.owned and self.pick(3):
            return lines + self.write_matrix(scope, name, depth)
        return lines + self.alias_write(scope, [source], depth)

    def writable_lists(self, scope):
        return sorted((l, j) for l, elements in scope.lists.items()
                      for j, (_, _, owned) in enumerate(elements) if owned)

    def inplace_other(self, scope, depth):
        """An in-place change through a 2x2 view or through a list holding an array."""
        matrices = sorted(scope.matrices & scope.owned)
        lists = self.writable_lists(scope)
        if matrices and (not lists or self.coin()):
            return self.write_matrix(scope, self.choice(matrices), depth)
        name, j = self.choice(lists)
        element, length, _ = scope.lists[name][j]
        self.written.update([name, element])
        # (``l[j][i] = e`` is refused on its own: "assignment into part of a part")
        if self.coin():
            return [f"{name}[{j}] += {strip(self.array(scope, length, depth))}"]
        return [f"{name}[{j}] *= {_paren(self.scalar(scope, depth))}"]

    def write_matrix(self, scope, name, depth):
        self.written.add(name)
        i, j = self.pick(2), self.pick(2)
        form = self.pick(5)
        value = strip(self.scalar(scope, depth))
        if form == 0:
            return [f"{name}[{i}, {j}] = {value}"]
        if form == 1:
            return [f"{name}[{i}, {j}] += {value}"]
        if form == 2:
            return [f"{name}[{i}] += {strip(self.array(scope, 2, depth))}"]
        if form == 3:
            return [f"{name}[:, {j}] = {strip(self.array(scope, 2, depth))}"]
        return [f"{name} *= {_paren(value)}"]

    def matrix_read(self, scope):
        """A scalar read of a 2x2 view."""
        name = self.choice(sorted(scope.matrices))
        form = self.pick(4)
        if form == 0:
            return f"{name}[{self.pick(2)}, {self.pick(2)}]"
        if form == 1:
            return f"np.sum({name})"
        if form == 2:
            return f"np.sum({name}[{self.pick(2)}])"
        return f"({name}[:, {self.pick(2)}] @ {name}[{self.pick(2)}])"

    def statement_owned_then_write(self, scope, depth):
        name = self.fresh("a")
        base = sorted(a for a, n in scope.arrays.items() if n == N)
        first = f"{name} = {base[0]} * 1.0" if base else f"{name} = np.zeros({N})"
        scope.arrays[name] = N
        scope.owned.add(name)
        return [first] + self.inplace(scope, depth)

    def for_loop(self, scope, depth):
        body_scope = scope.child(loop="for", can_continue=True)
        form = self.pick(8)
        arrays = sorted(scope.arrays)
        if form == 1 and arrays:
            seq = self.choice(arrays)
            var = self.fresh("t")
            header = f"for {var} in {seq}:"
            body_scope.scalars.append(var)
        elif form == 2 and arrays:
            seq = self.choice(arrays)
            i, var = self.fresh("i"), self.fresh("t")
            header = f"for {i}, {var} in enumerate({seq}):"
            body_scope.scalars.append(var)
            body_scope.ints[i] = (0, scope.arrays[seq] - 1)
        elif form == 3 and len(arrays) >= 2:
            first, second = self.choice(arrays), self.choice(arrays)
            t, u = self.fresh("t"), self.fresh("u")
            header = f"for {t}, {u} in zip({first}, {second}):"
            body_scope.scalars += [t, u]
        elif form == 4 and arrays:
            seq = self.choice(arrays)
            var = self.fresh("t")
            header = f"for {var} in reversed({seq}):"
            body_scope.scalars.append(var)
        else:
            i = self.fresh("i")
            if form == 5:
                start, stop = self.pick(3), self.pick(N + 1)
                header = f"for {i} in range({start}, {stop}):"
                bounds = (start, max(start, stop - 1))
            elif form == 6:
                header = f"for {i} in range({N} - 1, -1, -1):"
                bounds = (0, N - 1)
            elif form == 7 and arrays:
                seq = self.choice(arrays)
                header = f"for {i} in range(len({seq})):"
                bounds = (0, scope.arrays[seq] - 1)
            else:
                n = self.pick(N + 1)
                header = f"for {i} in range({n}):"
                bounds = (0, max(0, n - 1))
            body_scope.ints[i] = bounds
        body = self.block(body_scope, self.pick(3) + 1, depth - 1) or ["pass"]
        return [header] + _indent(body)

    def while_loop(self, scope, depth):
        k = self.fresh("k")
        n = self.pick(N + 1)
        bump_first = self.coin()
        body_scope = scope.child(loop="while", can_continue=bump_first)
        body_scope.ints[k] = (1, max(1, n)) if bump_first else (0, max(0, n - 1))
        body = self.block(body_scope, self.pick(3) + 1, depth - 1)
        body = ([f"{k} += 1"] + body) if bump_first else (body + [f"{k} = {k} + 1"])
        return [f"{k} = 0", f"while {k} < {n}:"] + _indent(body)

    def if_statement(self, scope, depth):
        cond = self.condition(scope)
        lines = [f"if {cond}:"]
        lines += _indent(self.block(scope.child(), self.pick(2) + 1, depth - 1) or ["pass"])
        form = self.pick(3)
        if form >= 1:
            if form == 2:
                lines.append(f"elif {self.condition(scope)}:")
                lines += _indent(self.block(scope.child(), 1, depth - 1) or ["pass"])
            lines.append("else:")
            lines += _indent(self.block(scope.child(), self.pick(2) + 1, depth - 1) or ["pass"])
        return lines

    def jump(self, scope):
        cond = self.condition(scope)
        kinds = (["break"] if scope.loop else []) + \
            (["continue"] if scope.can_continue else []) + \
            ([] if scope.in_helper else ["return"])
        if not kinds:
            return ["pass"]
        kind = self.choice(kinds)
        if kind == "return":
            return [f"if {cond}:", f"    return {strip(self.scalar(scope, 1))}"]
        return [f"if {cond}:", f"    {kind}"]

    def tuple_call(self, scope, depth):
        candidates = [h for h in self.helpers if h[2] == "t"]
        if not candidates:
            return None
        name, kinds, _ = self.choice(candidates)
        args = [strip(self.scalar(scope, depth - 1)) if k == "s" else
                strip(self.array(scope, N, depth - 1)) for k in kinds]
        first, second = self.fresh("s"), self.fresh("s")
        scope.scalars += [first, second]
        return [f"{first}, {second} = {name}({', '.join(args)})"]

    # --- functions ---------------------------------------------------------------------------

    def helper(self):
        name = f"h{len(self.helpers)}"
        kinds = [self.choice(["s", "a"]) for _ in range(self.pick(2) + 1)]
        result = self.choice(["s", "a", "t"])
        scope = Scope()
        scope.in_helper = True
        names = ["p", "q"][:len(kinds)]
        for param, kind in zip(names, kinds):
            if kind == "s":
                scope.scalars.append(param)
            else:
                scope.arrays[param] = N
        scope.params = set(names)
        self.budget = self.pick(3)
        body = self.block(scope, self.budget, 1)
        if result == "s":
            ret = strip(self.scalar(scope, 2))
        elif result == "a":
            ret = strip(self.array(scope, N, 2))
        else:
            ret = f"{strip(self.scalar(scope, 2))}, {strip(self.scalar(scope, 1))}"
        lines = [f"def {name}({', '.join(names)}):"] + _indent(body + [f"return {ret}"])
        self.helpers.append((name, kinds, result))
        return lines

    def function(self):
        scope = Scope()
        scope.scalars.append(SCALAR_PARAM)
        scope.known[SCALAR_PARAM] = self.inputs[SCALAR_PARAM]
        for p in self.params[1:]:
            scope.arrays[p] = N
            scope.known[p] = list(self.inputs[p])
        scope.params = set(self.params)
        size = self.pick(6) + 1
        self.budget = size + 3                   # compound statements share the budget
        body = self.block(scope, size, 2)
        ret = strip(self.scalar(scope, self.pick(3) + 1))
        extra = [s for s in scope.scalars if s not in scope.params]
        extra += [f"np.sum({a})" for a in sorted(scope.arrays) if a not in scope.params]
        extra += [f"np.sum({m})" for m in sorted(scope.matrices)]
        extra += [f"np.sum({l}[{j}])" for l in sorted(scope.lists)
                  for j in range(len(scope.lists[l]))]
        if extra and self.pick(3) != 0:
            ret = " + ".join([_paren(ret)] + extra)
        lines = [f"def f({', '.join(self.params)}):"] + _indent(body + [f"return {ret}"])
        return lines


def _slice_views(name, length):
    """(view of ``name`` by basic slicing, its length) for views of length 2 or more."""
    views = [(f"{name}[1:]", length - 1), (f"{name}[:{length - 1}]", length - 1),
             (f"{name}[:2]", 2), (f"{name}[-2:]", 2), (f"{name}[:]", length),
             (f"{name}[::2]", (length + 1) // 2), (f"{name}[1:3]", min(length, 3) - 1),
             (f"{name}[::-1][1:]", length - 1)]
    return [(text, n) for text, n in views if n >= 2]


def _indent(lines):
    return ["    " + line for line in lines]


def _atomic(text):
    return text.replace("_", "").replace(".", "").isalnum() or (
        text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]))


def _paren(text):
    return text if _atomic(text) or _is_call_or_index(text) else f"({strip(text)})"


def _is_call_or_index(text):
    """``name(...)`` or ``name[...]`` with the brackets closing at the end."""
    if not text or text[0] in "(-":
        return False
    head = 0
    while head < len(text) and (text[head].isalnum() or text[head] in "_."):
        head += 1
    if head == len(text) or text[head] not in "([" or text[-1] not in ")]":
        return False
    return _balanced(text[head:].replace("[", "(").replace("]", ")")) and \
        _closes_at_end(text[head:])


def _closes_at_end(text):
    depth = 0
    for pos, ch in enumerate(text):
        depth += ch in "(["
        depth -= ch in ")]"
        if depth == 0 and pos != len(text) - 1:
            return False
    return True


def _is_view(text):
    """Could the value of this expression share memory with another array (a name, a slice,
    a conditional expression, ``np.flip`` or a helper that may return its argument)?  Binding
    such a value would alias it, and an in-place change would then reach two names (maybe
    an input): the grammar never does that, so it copies them (``* 1.0``) first."""
    node = ast.parse(strip(text), mode="eval").body
    if isinstance(node, ast.IfExp):
        return True
    if isinstance(node, (ast.Name, ast.Subscript)):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id.startswith("h"):
            return True
        if isinstance(func, ast.Attribute) and func.attr in ("flip", "reshape", "ravel"):
            return True
    return False


# =============================================================================================
# the strategy
# =============================================================================================

_value = st.integers(-150, 150).map(lambda k: k / 100.0)


@st.composite
def programs(draw):
    """A random module with ``f(x, v)`` or ``f(x, v, w)``, its inputs and a tangent."""
    params = ("x", "v", "w") if draw(st.booleans()) else ("x", "v")
    inputs = {"x": draw(_value)}
    for p in params[1:]:
        inputs[p] = draw(st.lists(_value, min_size=N, max_size=N))
    builder = Builder(draw, inputs, params)
    lines = []
    for _ in range(draw(st.integers(0, 2))):
        lines += builder.helper() + [""]
    lines += builder.function()
    tangent = {"x": draw(_value)}
    for p in params[1:]:
        tangent[p] = draw(st.lists(_value, min_size=N, max_size=N))
    inputs["tangent"] = tangent
    source = HEADER + "\n\n" + "\n".join(lines) + "\n"
    meta = {}
    if builder.alias_names & builder.written:
        meta["aliasing"] = sorted(builder.alias_names)
    return Program(source, inputs, params, meta)


# =============================================================================================
# the oracle
# =============================================================================================

FORWARD_MISSING = "has no forward-mode (tangent) rule"


class Rejected(Exception):
    """The program is not a fair test at its inputs (overflow, huge values): skip it."""


def central_difference(f, args, position, h=1e-4):
    """Fourth-order central difference (error ~h^4 f^(5) + 1e-16 |f| / h) of scalar ``f``."""
    def at(delta, index):
        new = list(args)
        if index is None:
            new[position] = args[position] + delta
        else:
            arr = np.array(args[position], dtype=float)
            arr[index] += delta
            new[position] = arr
        return float(f(*new))

    def one(index):
        return (-at(2 * h, index) + 8 * at(h, index) - 8 * at(-h, index) + at(-2 * h, index)) \
            / (12 * h)

    target = args[position]
    if np.ndim(target) == 0:
        return one(None)
    return np.array([one(i) for i in np.ndindex(np.shape(target))]).reshape(np.shape(target))


@dataclass
class Outcome:
    forward_skipped: bool = False       # a primitive has no tangent rule yet
    forward_known_bug: str = None       # the forward check hit a reported bug
    value: float = 0.0


def evaluate(f, args):
    with np.errstate(all="raise"):
        value, error = _attempt(lambda: f(*args))
    if error is not None:
        if isinstance(error[0], (FloatingPointError, OverflowError)):
            raise Rejected(f"primal raised {error[1]}")
        raise AssertionError(f"the generated program does not run (a grammar bug): {error[1]}")
    if not isinstance(value, (float, int, np.floating, np.integer)) and np.ndim(value) != 0:
        raise AssertionError(f"the generated f returned {type(value).__name__}: grammar bug")
    value = float(value)
    if not math.isfinite(value) or abs(value) > 1e6:
        raise Rejected(f"value {value!r} out of range")
    return value


def _attempt(thunk):
    """(result, None) or (None, (exception, description)).

    The caller raises its AssertionError *outside* the except block: hypothesis tells failures
    apart by the chain of exception origins, and an origin inside a generated file (a new name
    for every program) would make every replay look like a new bug and defeat shrinking."""
    try:
        return thunk(), None
    except Exception as error:          # noqa: BLE001 - reported with its traceback
        frames = traceback.extract_tb(error.__traceback__)[-3:]
        where = "".join(traceback.format_list(frames))
        where = re.sub(r"retrograd_random_programs_\w+/rp_\d+_\d+", "<program>", where)
        return None, (error, f"{type(error).__name__}: {error}\n{where}")


class RefusedAliasing(Exception):
    """retrograd refused, with its aliasing message, a program that changes in place an array
    it made two names share (``program.meta["aliasing"]`` names them): an acceptable answer."""


# what compiler/passes/aliases.py says when a change in place would reach two names
ALIAS_REFUSAL = "retrograd cannot follow a change through two names"
_ALIAS_NAMES = re.compile(r"`(\w+)` is changed in place here, but it is the same object as "
                          r"`(\w+)`")


_LOOP_NAMES = re.compile(r"`(\w+)` is changed in place here, but it is the same object as "
                         r"what line (\d+) iterates over")


def _acceptable_alias_refusal(program, error):
    """Is ``error`` (a DifferentiationError) the aliasing refusal, about names that the
    program made share memory and changed in place, or about a loop over an array that its
    body changes in place?"""
    message = str(error)
    loop = _LOOP_NAMES.search(message)
    if loop and ALIAS_REFUSAL in message:
        changed = loop.group(1)
        return bool(re.search(r"(?m)^\s*for\b.* in .*\b" + re.escape(changed) + r"\b",
                              program.source))
    found = _ALIAS_NAMES.search(message)
    names = set(program.meta.get("aliasing", ()))
    if not (names and found and ALIAS_REFUSAL in message):
        return False
    changed, partner = found.groups()
    return changed in names or (changed.startswith("_") and partner in names)


class KnownBug(Exception):
    """The program hits a compiler bug already in the report (``args[0]`` is its id)."""


def check_program(program, rg, forward=True, rtol=1e-5, known_bug=None):
    """Reverse mode vs central differences, and forward mode vs reverse mode, at the inputs.

    Raises AssertionError (with the listing) on a mismatch, a refusal or a crash, Rejected if
    the program is not a fair test at its inputs, RefusedAliasing if retrograd refused with its
    aliasing message a program that makes two names share memory and changes it in place
    (``program.meta["aliasing"]``: any other refusal fails); returns an Outcome.  ``known_bug(stage,
    message, source)`` may name a reported bug that explains a failure: then a reverse-mode
    failure raises KnownBug, and a forward-mode one skips the forward check (``Outcome``
    says which bug)."""
    module = program.load()
    f = module.f
    args = program.args()
    value = evaluate(f, args)
    wrt = tuple(range(len(args)))
    listing = program.listing()
    outcome = Outcome(value=value)

    def fail(stage, message):
        bug = known_bug(stage, message, program.source) if known_bug else None
        if bug is None:
            raise AssertionError(f"{message}\n\n{listing}")
        if stage == "reverse":
            raise KnownBug(bug)
        outcome.forward_known_bug = bug
        return outcome

    # (1) reverse mode against central differences
    grads, error = _attempt(lambda: rg.grad(f, wrt=wrt)(*args))
    if program.meta.get("reference") == "refusal":
        assert error is not None and isinstance(error[0], rg.DifferentiationError), \
            f"expected a refusal, got {grads!r} ({error and error[1]})\n\n{listing}"
        return outcome
    if error is not None and isinstance(error[0], rg.DifferentiationError) \
            and _acceptable_alias_refusal(program, error[0]):
        raise RefusedAliasing(str(error[0]))
    if error is not None:          # raised outside the handler: see _attempt
        kind = "refused" if isinstance(error[0], rg.DifferentiationError) else "crashed"
        return fail("reverse", f"reverse mode {kind} on a generated program: {error[1]}")
    if not (isinstance(grads, tuple) and len(grads) == len(args)):
        return fail("reverse", f"rg.grad returned {grads!r}")
    for arg, g, name in zip(args, grads, program.params):
        if np.ndim(arg) == 0:
            if not (np.ndim(g) == 0 and isinstance(g, (float, np.floating))):
                return fail("reverse", f"gradient of {name} is {g!r}, expected a float")
        elif not (isinstance(g, np.ndarray) and g.shape == arg.shape):
            return fail("reverse", f"gradient of {name} is {g!r}, expected an array of shape "
                                   f"{arg.shape}")
    if program.meta.get("reference") == "forward":
        return _check_against_forward_mode(program, f, args, grads, rg)
    numeric = [central_difference(f, args, p) for p in wrt]
    finer = [central_difference(f, args, p, h=1e-5) for p in wrt]
    for n, m in zip(numeric, finer):
        # finite differences are no reference where two step sizes disagree (derivatives that
        # grow exponentially through a loop, say): such a program is not a fair test
        big = max(1.0, float(np.max(np.abs(m))))
        if not np.allclose(n, m, rtol=rtol, atol=1e-6 * big):
            raise Rejected("central differences disagree between step sizes")
    scale = max([1.0, abs(value)] + [float(np.max(np.abs(n))) for n in numeric])
    for g, n, name in zip(grads, numeric, program.params):
        got, expected = np.asarray(g, dtype=float), np.asarray(n, dtype=float)
        if not np.allclose(got, expected, rtol=rtol, atol=1e-6 * scale):
            return fail("reverse",
                        f"reverse-mode gradient of {name} differs from central differences\n"
                        f"  rg.grad: {got!r}\n  numeric: {expected!r}")

    # (2) forward mode against reverse mode
    if not forward:
        return outcome
    tangents = program.tangents()
    result, error = _attempt(lambda: rg.jvp(f, wrt=wrt)(*args, tangent=tangents))
    if error is not None:
        if isinstance(error[0], rg.DifferentiationError) and FORWARD_MISSING in error[1]:
            outcome.forward_skipped = True
            return outcome
        kind = "refused" if isinstance(error[0], rg.DifferentiationError) else "crashed"
        return fail("forward", f"forward mode {kind} on a generated program: {error[1]}")
    primal, derivative = result
    if not np.isclose(float(primal), value, rtol=1e-12, atol=1e-12):
        return fail("forward", f"jvp's primal {primal!r} != f(...) = {value!r}")
    expected = sum(float(np.sum(np.asarray(g) * t)) for g, t in zip(grads, tangents))
    tscale = 1.0 + sum(float(np.sum(np.abs(np.asarray(g) * t))) for g, t in zip(grads, tangents))
    if not (np.ndim(derivative) == 0 and abs(float(derivative) - expected) <= 1e-9 * tscale):
        return fail("forward", f"forward mode differs from reverse mode\n"
                               f"  jvp:             {derivative!r}\n"
                               f"  <grad, tangent>: {expected!r}")
    return outcome


def _check_against_forward_mode(program, f, args, grads, rg):
    """For a program whose finite differences are too noisy at its inputs (derivatives that
    grow like 2**16 through a loop): every gradient entry must equal the forward-mode
    derivative along that coordinate, and agree with a fine central difference to 1%."""
    wrt = tuple(range(len(args)))
    jvp = rg.jvp(f, wrt=wrt)
    zeros = [np.zeros_like(a) if np.ndim(a) else 0.0 for a in args]
    for position, (arg, g, name) in enumerate(zip(args, grads, program.params)):
        columns = []
        for index in np.ndindex(np.shape(arg)):
            tangent = list(zeros)
            if np.ndim(arg) == 0:
                tangent[position] = 1.0
            else:
                tangent[position] = np.zeros_like(arg)
                tangent[position][index] = 1.0
            columns.append(float(jvp(*args, tangent=tuple(tangent))[1]))
        columns = np.array(columns).reshape(np.shape(arg))
        numeric = central_difference(f, args, position, h=1e-5)
        listing = program.listing()
        assert np.allclose(g, columns, rtol=1e-9, atol=1e-9), \
            f"gradient of {name} differs from forward mode: {g!r} vs {columns!r}\n\n{listing}"
        assert np.allclose(g, numeric, rtol=1e-2), \
            f"gradient of {name} far from central differences: {g!r} vs {numeric!r}\n\n{listing}"
    return Outcome()
