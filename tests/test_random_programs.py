"""Random-program differential testing (issue 8).

hypothesis builds random Python/NumPy modules (see ``random_programs.py`` for the grammar) and
checks, for each, at its inputs:

1. reverse mode ``rg.grad(f, wrt=all)`` against fourth-order central differences;
2. forward mode ``rg.jvp(f, wrt=all)(..., tangent=t)`` against ``<grad, t>`` (skipped, and
   counted, only when a primitive has no tangent rule yet; the reverse check never is).

Some programs make two names share memory (aliases, views, lists holding arrays; see
``Builder.alias``) and change it in place: for those, and only those, a refusal with the
aliasing message of ``compiler/passes/aliases.py`` is an acceptable answer (counted as
"refused (aliasing)"); any other refusal, a crash or a wrong gradient fails.

A failure shrinks to a minimal program, whose listing is printed and appended to
``regressions/random_programs.txt``; every program in that file is re-checked on every run
(known compiler bugs are marked there with ``# xfail: <reason>`` and run as strict xfails).

``RETROGRAD_RANDOM_PROGRAMS`` sets the number of programs (default 600).
"""
import collections
import os
import re
import time

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis.control import current_build_context

import retrograd as rg
from random_programs import (KnownBug, Rejected, RefusedAliasing, check_program, format_case,
                             parse_regressions, programs)

EXAMPLES = int(os.environ.get("RETROGRAD_RANDOM_PROGRAMS", "600"))
# In CI the same 600 programs run every time (a submission is judged on what it changed);
# elsewhere each run draws new ones, and every failure found joins the regression file.
DERANDOMIZE = bool(os.environ.get("CI"))
REGRESSIONS = os.path.join(os.path.dirname(__file__), "regressions", "random_programs.txt")
STATS = collections.Counter()
REPORT = "/tmp/report_random_programs.md"

# Compiler bugs already reported (REPORT) and kept as strict-xfail regression cases.  A random
# program whose failure matches one of these signatures -- the stage, the failure message and
# a construct in the source -- is counted rather than failed: a reverse-mode match drops the
# program, a forward-mode match skips only its forward check.  Keep the signatures narrow, and
# delete one when its bug is fixed (its regression case then XPASSes and must be un-marked).
KNOWN_BUGS = [
    # (BUG-1 `x = x`, BUG-2 forward mode on nested loops, BUG-4 false aliasing refusals, BUG-5
    # helpers called on constants and BUG-7 lost while-loop trip counts are fixed; their
    # regression cases are plain checks now.)
    # (BUG-3, aliasing through `b = a if c else v`, is fixed: refused, see rp-004.)
    # (BUG-6, a saved view of an array rebound in a loop and restored in place, is fixed.)
    # (BUG-9 views made by calls/attributes/methods, BUG-10 helpers returning an argument and
    # BUG-11 arrays taken out of lists are fixed: aliases.py links them, so such programs are
    # refused (rp-024..rp-029).  BUG-12, false aliasing refusals of floats, is fixed too.)
    # (BUG-13, a float through a helper returning its argument falsely refused, is fixed:
    # the ranks pass gives h(x) the rank of x.)
]


def known_bug(stage, message, source):
    for bug, bug_stage, message_pattern, source_pattern in KNOWN_BUGS:
        if stage == bug_stage and re.search(message_pattern, message) \
                and re.search(source_pattern, source):
            return bug
    return None


@pytest.fixture(scope="module", autouse=True)
def _report_counts(request):
    yield
    if not STATS:
        return
    line = (f"random programs: {STATS['checked']} checked, {STATS['rejected']} rejected "
            f"(overflow), {STATS['refused (aliasing)']} refused (aliasing), forward check "
            f"skipped for {STATS['forward_skipped']} (no tangent rule); "
            f"{STATS['aliasing']} checked programs change shared memory in place")
    known = sorted(k for k in STATS if k.startswith("known "))
    if known:
        line += "; programs hitting reported bugs (" + REPORT + "): " + \
            ", ".join(f"{k[6:]}: {STATS[k]}" for k in known)
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():     # teardown output is captured otherwise
            reporter.write_line("")
            reporter.write_line(line)
    else:                                       # pragma: no cover
        print(line)


def _save_regression(program, error):
    """Append a (minimal, final) failing program to the regression file, once."""
    text = open(REGRESSIONS).read() if os.path.exists(REGRESSIONS) else ""
    if program.source.strip() in text:
        return
    known = parse_regressions(text)
    case_id = f"rp-{len(known) + 1:03d}"
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    os.makedirs(os.path.dirname(REGRESSIONS), exist_ok=True)
    with open(REGRESSIONS, "a") as handle:
        handle.write(format_case(case_id, program, comment=f"found by hypothesis "
                                 f"({time.strftime('%Y-%m-%d %H:%M')}, pid {os.getpid()}): {first}"))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE,
          report_multiple_bugs=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(program=programs())
def test_random_programs(program):
    note(program.listing())
    try:
        outcome = check_program(program, rg, known_bug=known_bug)
    except Rejected:
        STATS["rejected"] += 1
        assume(False)
    except RefusedAliasing:
        STATS["refused (aliasing)"] += 1
        assume(False)
    except KnownBug as bug:
        STATS[f"known {bug.args[0]} (reverse)"] += 1
        assume(False)
    except Exception as error:
        if getattr(current_build_context(), "is_final", True):
            _save_regression(program, error)
        raise
    STATS["checked"] += 1
    STATS["aliasing"] += bool(program.meta.get("aliasing"))
    STATS["forward_skipped"] += outcome.forward_skipped
    if outcome.forward_known_bug:
        STATS[f"known {outcome.forward_known_bug} (forward check skipped)"] += 1


def _regression_params():
    if not os.path.exists(REGRESSIONS):
        return []
    params = []
    for case_id, xfail, program in parse_regressions(open(REGRESSIONS).read()):
        marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
        params.append(pytest.param(program, id=case_id, marks=marks))
    return params


@pytest.mark.parametrize("program", _regression_params())
def test_regression(program):
    try:
        check_program(program, rg)
    except Rejected as rejected:                # a regression must stay a fair test
        pytest.fail(f"regression program no longer evaluates: {rejected}")
