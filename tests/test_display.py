"""rg.show in terminals and files, and the HTML that notebooks render for derived functions."""
import io
import sys

import numpy as np
import pytest

import retrograd as rg
from retrograd import display


def cube_sum(x):
    return np.sum(x ** 3)


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_show_is_part_of_the_api():
    assert "show" in rg.__all__
    assert rg.show is display.show


def test_show_prints_the_generated_source_plainly_to_a_file():
    out = io.StringIO()
    rg.show(rg.grad(cube_sum), file=out)
    assert out.getvalue() == rg.source(rg.grad(cube_sum)).rstrip("\n") + "\n"
    assert "\x1b[" not in out.getvalue()


def test_show_with_example_arguments_prints_the_specialised_source():
    out = io.StringIO()
    x = np.ones(3)
    rg.show(rg.grad(cube_sum), x, file=out)
    assert out.getvalue().strip() == rg.source(rg.grad(cube_sum), x).strip()


def test_show_writes_to_standard_output_by_default(capsys):
    rg.show(rg.grad(cube_sum))
    assert "def grad_cube_sum(x):" in capsys.readouterr().out


def test_show_highlights_for_a_terminal(monkeypatch):
    pytest.importorskip("pygments")
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = FakeTerminal()
    rg.show(rg.grad(cube_sum), file=out)
    assert "\x1b[" in out.getvalue()
    assert "grad_cube_sum" in out.getvalue()


def test_show_respects_no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    out = FakeTerminal()
    rg.show(rg.grad(cube_sum), file=out)
    assert "\x1b[" not in out.getvalue()


def test_show_color_false_overrides_a_terminal():
    out = FakeTerminal()
    rg.show(rg.grad(cube_sum), file=out, color=False)
    assert "\x1b[" not in out.getvalue()


def test_show_without_pygments_prints_plain_text(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygments", None)     # makes `import pygments` fail
    out = FakeTerminal()
    rg.show(rg.grad(cube_sum), file=out, color=True)
    assert out.getvalue().strip() == rg.source(rg.grad(cube_sum)).strip()


def test_show_refuses_a_function_that_is_not_derived():
    with pytest.raises(rg.DifferentiationError, match="not a derived function"):
        rg.show(cube_sum, file=io.StringIO())


def test_html_holds_the_name_and_the_highlighted_code():
    pytest.importorskip("pygments")
    page = display.source_html(rg.grad(cube_sum))
    assert "<code>grad_cube_sum</code>" in page
    assert "grad_cube_sum" in page and "<span" in page


def test_html_without_pygments_is_an_escaped_pre_block(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygments", None)
    page = display.highlight_html("if a < b and c > d: s = '&'\n")
    assert page == "<pre>if a &lt; b and c &gt; d: s = &#x27;&amp;&#x27;\n</pre>"


def test_html_of_something_that_cannot_be_shown_is_a_message_not_an_exception():
    page = display.source_html(cube_sum)
    assert "retrograd could not show the code" in page
    assert "not a derived function" in page


def test_attach_display_renders_in_ipython():
    formatters = pytest.importorskip("IPython.core.formatters")
    derived = rg.grad(cube_sum)
    assert display.attach_display(derived) is derived
    page = formatters.HTMLFormatter()(derived)
    assert page == display.source_html(derived)
    assert derived(np.array([1.0, 2.0])).tolist() == [3.0, 12.0]   # still the gradient


@pytest.mark.parametrize("derive", [rg.grad, rg.value_and_grad, rg.vjp, rg.jvp])
def test_derived_functions_render_their_code_in_notebooks(derive):
    derived = derive(cube_sum)
    assert derived._repr_html_() == display.source_html(derived)
