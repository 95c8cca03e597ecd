"""The generated code itself: golden listings, lint cleanliness, readability invariants, and
that every pass's output is valid Python.

Golden files change when the compiler does; review the diff, then regenerate with
``RETROGRAD_UPDATE_GOLDEN=1 python -m pytest tests/test_generated_code.py``.
"""
import ast
import contextlib
import io
import os
import re
from pathlib import Path

import pytest
from pyflakes.api import check as pyflakes_check
from pyflakes.reporter import Reporter

import retrograd as rg
from retrograd import pipeline
from golden_models import GOLDEN
from gradcheck import check_gradient

GOLDEN_DIR = Path(__file__).parent / "golden"
IDS = [name for name, *_ in GOLDEN]


def generated(function, args, wrt):
    return rg.source(rg.grad(function, wrt=wrt), *args)


@pytest.mark.parametrize("name, function, args, wrt", GOLDEN, ids=IDS)
def test_generated_code_matches_golden_listing(name, function, args, wrt):
    text = generated(function, args, wrt)
    path = GOLDEN_DIR / f"{name}.py"
    if os.environ.get("RETROGRAD_UPDATE_GOLDEN") or not path.exists():
        path.write_text(text)
    assert text == path.read_text(), f"generated code of {name} changed; see {path}"


@pytest.mark.parametrize("name, function, args, wrt", GOLDEN, ids=IDS)
def test_golden_functions_have_correct_gradients(name, function, args, wrt):
    check_gradient(function, *args, wrt=wrt)


@pytest.mark.parametrize("name, function, args, wrt", GOLDEN, ids=IDS)
def test_generated_code_is_lint_clean(name, function, args, wrt):
    text = generated(function, args, wrt)
    for global_name in ("W",):          # module globals of golden_models the code may read
        text = text.replace('import numpy as np', f'import numpy as np\n{global_name} = None', 1)
    out, err = io.StringIO(), io.StringIO()
    problems = pyflakes_check(text, name, Reporter(out, err))
    messages = [line for line in out.getvalue().splitlines()
                if "undefined name" not in line or not _defined_in_models(line)]
    assert problems == 0 or not messages, "\n".join(messages)


def _defined_in_models(line):
    import golden_models
    match = re.search(r"undefined name '(\w+)'", line)
    return match is not None and hasattr(golden_models, match.group(1))


@pytest.mark.parametrize("name, function, args, wrt", GOLDEN, ids=IDS)
def test_pushes_and_pops_pair_up(name, function, args, wrt):
    text = generated(function, args, wrt)
    pushed = set(re.findall(r"(_stack_\w+)\.append\(", text))
    popped = set(re.findall(r"(_stack_\w+)\.pop\(\)", text))
    assert pushed == popped


@pytest.mark.parametrize("name, function, args, wrt", GOLDEN, ids=IDS)
def test_no_self_assignments_or_zero_additions(name, function, args, wrt):
    text = generated(function, args, wrt)
    for line in text.splitlines():
        match = re.match(r"\s*(\w+) = (\w+)$", line)
        assert not (match and match.group(1) == match.group(2)), line
        assert not re.search(r"[+-] 0\.0\b(?!\d)|\b0\.0 \+ ", line) or "#" in line, line


@pytest.mark.parametrize("name, function, args, wrt", GOLDEN, ids=IDS)
def test_every_adjoint_block_quotes_a_source_line(name, function, args, wrt):
    text = generated(function, args, wrt)
    comments = re.findall(r"# golden_models\.py:(\d+)  (.*)", text)
    assert comments, "adjoint blocks are introduced by comments quoting the source"
    source = (Path(__file__).parent / "golden_models.py").read_text().splitlines()
    for number, quoted in comments:
        assert source[int(number) - 1].strip() == quoted


@pytest.mark.parametrize("name, function, args, wrt", GOLDEN, ids=IDS)
def test_output_of_every_pass_is_valid_python(name, function, args, wrt):
    spec = rg.grad(function, wrt=wrt).__retrograd__
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        pipeline.derive(function, spec.wrt_names, "grad", verbose=True)
    sections = re.split(r"^--- after (\w+) ---$", printed.getvalue(), flags=re.M)
    passes = sections[1::2]
    order = ["resolve", "jumps", "normalize", "activity", "ranks", "aliases"]
    assert passes == order * (len(passes) // len(order)) and passes   # once per function
    for text in sections[2::2]:
        ast.parse(text)


def test_generation_is_deterministic():
    from golden_models import mlp_loss
    args = GOLDEN[IDS.index("mlp_loss")][2]
    first = pipeline.derive(mlp_loss, ("w1", "w2"), "grad", param_ranks={"w1": 2, "w2": 2,
                                                                        "x": 2, "y": 2}).source
    second = pipeline.derive(mlp_loss, ("w1", "w2"), "grad", param_ranks={"w1": 2, "w2": 2,
                                                                         "x": 2, "y": 2}).source
    assert first == second and args
