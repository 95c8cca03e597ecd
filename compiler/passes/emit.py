"""emit: assemble derivative functions from a ``Derivative`` and print them as Python source.

Assumes: an optimized ``Derivative``. Guarantees: source text of one or two functions
(joint ``grad_f`` or split ``fwd_f`` / ``bwd_f``), with each adjoint block introduced by a
comment quoting the original source line, formatted by astor.
"""
import copy
import re

import astor
import gast

from .. import syntax

_MARKER = re.compile(r"^(\s*)(['\"]{1,3})(__retrograd_comment_\w+?__)\2\s*$", re.M)


def joint(derivative, name, with_value=False):
    """``def name(<original params>)``: primal sweep, adjoint sweep, return the gradients."""
    body = derivative.preamble + derivative.primal + derivative.seed + derivative.adjoint
    grads = _gradient_value(derivative.gradients)
    result = gast.Tuple(elts=[_output_expr(derivative), grads], ctx=gast.Load()) \
        if with_value else grads
    body.append(gast.Return(value=result))
    return _function(name, derivative.args, body)


def split(derivative, forward_name, backward_name, residuals):
    """``forward(<params>) -> (output, saved)`` and ``backward(saved, d_output) -> grads``."""
    saved = gast.Tuple(elts=[syntax.name(r) for r in residuals], ctx=gast.Load())
    forward_body = derivative.preamble + derivative.primal + [
        gast.Return(value=gast.Tuple(elts=[_output_expr(derivative), saved], ctx=gast.Load()))]
    forward = _function(forward_name, derivative.args, forward_body)
    unpack = []
    if residuals:
        unpack.append(gast.Assign(
            targets=[gast.Tuple(elts=[syntax.name(r, gast.Store()) for r in residuals],
                                ctx=gast.Store())],
            value=syntax.name("_saved"), type_comment=None))
    grads = gast.Tuple(elts=derivative.gradients, ctx=gast.Load())
    backward_body = unpack + derivative.adjoint + [gast.Return(value=grads)]
    out_adjoint = derivative.output_adjoint or "_d_output"
    args = gast.arguments(args=[syntax.name("_saved", gast.Param()),
                                syntax.name(out_adjoint, gast.Param())],
                          posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                          kwarg=None, defaults=[])
    backward = _function(backward_name, args, backward_body)
    return forward, backward


def tangent_function(tangent, name):
    """``def name(<original params>, *, <tangent params>)``: returns (value, tangent)."""
    args = copy.deepcopy(tangent.args)
    for param in tangent.tangent_params:      # keyword-only: defaults stay valid
        args.kwonlyargs.append(syntax.name(param, gast.Param()))
        args.kw_defaults.append(None)
    body = tangent.body + [gast.Return(value=gast.Tuple(
        elts=[tangent.output, tangent.output_tangent], ctx=gast.Load()))]
    return _function(name, args, body)


def _gradient_value(gradients):
    if len(gradients) == 1:
        return gradients[0]
    return gast.Tuple(elts=list(gradients), ctx=gast.Load())


def _output_expr(derivative):
    return derivative.output


def _function(name, args, body):
    return gast.FunctionDef(name=name, args=args, body=body or [gast.Pass()], decorator_list=[],
                            returns=None, type_comment=None, type_params=[])


def to_source(node, comments):
    """Python source for a gast node, with comment markers turned into ``# ...`` lines."""
    module = gast.Module(body=[node] if not isinstance(node, list) else node, type_ignores=[])
    _tidy_blocks(module)
    _negative_bases(module)
    tree = gast.gast_to_ast(module)
    text = astor.to_source(tree)

    def replace(match):
        return f"{match.group(1)}# {comments.get(match.group(3), '')}"

    return _MARKER.sub(replace, text)


def _negative_bases(tree):
    """A negative constant as the base of ``**`` is spelled as a negation, which prints as
    ``(-1.0) ** k``: astor prints the constant as ``-1.0 ** k``, which Python reads as
    ``-(1.0 ** k)``."""
    for node in syntax.walk(tree):
        if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Pow) \
                and isinstance(node.left, gast.Constant) \
                and isinstance(node.left.value, (int, float)) \
                and not isinstance(node.left.value, bool) and node.left.value < 0:
            node.left = gast.UnaryOp(op=gast.USub(),
                                     operand=gast.Constant(value=-node.left.value, kind=None))


def _tidy_blocks(tree):
    """Every block has a statement; ``pass`` only where nothing else is."""
    for node in syntax.walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if not isinstance(block, list) or isinstance(node, gast.Module) and field == "orelse":
                continue
            kept = [s for s in block if not isinstance(s, gast.Pass)]
            if field == "body" and not kept:
                kept = [gast.Pass()]
            block[:] = kept
