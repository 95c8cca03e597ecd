"""Every script in examples/ runs to completion and shows what it claims to show.

Each runs in a fresh interpreter, in a temporary working directory (where it may save its plot),
with matplotlib's non-interactive backend. The whole module takes well under a minute.
"""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _number(pattern, output):
    match = re.search(pattern, output)
    assert match, f"expected a line matching {pattern!r} in:\n{output}"
    return float(match.group(1))


def check_quickstart(output):
    assert _number(r"max relative error vs central differences: (\S+)", output) < 1e-6
    assert "def grad_smooth_loss(w, x, y):" in output


def check_spiral_classifier(output):
    assert _number(r"accuracy on fresh points: ([\d.]+)%", output) >= 95.0


def check_fit_ode_scipy(output):
    if "scipy is not installed" in output:
        return
    assert "fitted rates within 10% of the truth: True" in output
    with_gradient = _number(r"(\d+) loss and \d+ gradient evaluations", output)
    with_differences = _number(r"finite differences: (\d+) loss evaluations", output)
    assert with_gradient < with_differences


def check_projectile(output):
    assert _number(r"gradient check .*: (\S+)", output) < 1e-6
    assert _number(r"miss ([\d.]+) cm", output) < 1.0


def check_rnn_adding(output):
    assert _number(r"best constant guess: [\d.]+, (\d+)x worse", output) >= 20


def check_newton(output):
    assert "minimum found at [1. 1.]" in output
    assert _number(r"iteration +\d+ +\|gradient\| = (\S+)\n +\d+ Hessian-vector", output) < 1e-8


def check_command_line(output):
    assert "def grad_loss(w, x, y, degree, l2):" in output
    assert "the generated module imports without the compiler: True" in output
    assert "grad_loss from the file equals rg.grad(loss): True" in output
    assert "with --standalone it runs without retrograd installed, same gradient: True" in output


CHECKS = {
    "quickstart.py": check_quickstart,
    "spiral_classifier.py": check_spiral_classifier,
    "fit_ode_scipy.py": check_fit_ode_scipy,
    "projectile.py": check_projectile,
    "rnn_adding.py": check_rnn_adding,
    "newton.py": check_newton,
    "command_line.py": check_command_line,
}


def test_every_example_has_a_check():
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py"))
    assert scripts == sorted(CHECKS)


@pytest.mark.parametrize("script", sorted(CHECKS))
def test_example_runs_and_shows_its_result(script, tmp_path):
    environment = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0")
    result = subprocess.run([sys.executable, str(EXAMPLES / script)], cwd=tmp_path,
                            env=environment, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    CHECKS[script](result.stdout)
    if importlib.util.find_spec("matplotlib") and script != "quickstart.py":
        assert list(tmp_path.glob("*.png")), "matplotlib is installed but no plot was saved"


def test_readme_shows_the_code_generated_for_the_projectile():
    """The excerpt in README.md's Examples section is what retrograd writes today (its lines,
    in order; `...` marks lines left out)."""
    readme = (EXAMPLES.parent / "README.md").read_text()
    excerpt = readme.split("def grad_landing_distance", 1)[1].split("```", 1)[0]
    shown = [line for line in ("def grad_landing_distance" + excerpt).splitlines()
             if line.strip() and line.strip() != "..."]
    sys.path.insert(0, str(EXAMPLES))
    try:
        import projectile
    finally:
        sys.path.remove(str(EXAMPLES))
    import retrograd as rg
    generated = iter(rg.source(rg.grad(projectile.landing_distance), 0.3, 30.0, 0.02, 0.01)
                     .splitlines())
    for line in shown:
        assert any(line == candidate for candidate in generated), f"not generated: {line!r}"
