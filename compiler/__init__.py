"""retrograd: source-to-source automatic differentiation for Python and NumPy.

    import retrograd as rg
    dfdx = rg.grad(f)            # the gradient, as generated Python code
    print(rg.source(dfdx))       # read it

The API is loaded lazily (PEP 562) so that ``import retrograd.runtime`` -- all that generated
code needs -- never imports the compiler or its dependencies.
"""
__version__ = "0.1.0"

_API = {
    "grad": "api", "value_and_grad": "api", "vjp": "api", "source": "api",
    "check_grad": "api", "register_adjoint": "api", "numeric_gradient": "api", "jvp": "api",
    "hessian": "api", "hvp": "api", "jacobian": "api", "register_tangent": "api",
    "DifferentiationError": "errors", "show": "display",
}

__all__ = sorted(_API)


def __getattr__(name):
    module_name = _API.get(name)
    if module_name is None:
        raise AttributeError(f"module 'retrograd' has no attribute {name!r}")
    import importlib
    module = importlib.import_module(f"retrograd.{module_name}")
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
