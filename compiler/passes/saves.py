"""saves: decide which values the primal sweep must keep for the adjoint sweep, and how.

Assumes: a normalized body, and for each statement the primal names its adjoint reads (from
a first, save-free run of the reverse pass). Guarantees a ``SavePlan``:

* a value assigned once, outside loops, is simply still there: nothing is saved;
* a value that lives only inside one block of a loop body (assigned once at the top of the
  block, read only after that within the block) is pushed right after it is computed and
  popped when the adjoint sweep enters the block -- one push and one pop per iteration;
* any other value the adjoint reads and that is overwritten is pushed just before it is
  overwritten and popped (restored) right after the adjoint of the overwriting statement;
* a part of an array overwritten by ``x[i] = v`` is saved alone, and ``append`` is undone by
  ``pop``, when the adjoint reads that container.

Every saved variable has a stack of its own, so pushes and pops pair by construction.
"""
import dataclasses

import gast

from .. import syntax
from . import primitives


@dataclasses.dataclass
class SavePlan:
    push_after: dict = dataclasses.field(default_factory=dict)    # id(stmt) -> [var]
    pop_at_block: dict = dataclasses.field(default_factory=dict)  # id(block list) -> [var]
    push_before: dict = dataclasses.field(default_factory=dict)   # id(stmt) -> [var]
    save_part: set = dataclasses.field(default_factory=set)       # id(setitem stmt)
    undo_append: set = dataclasses.field(default_factory=set)     # id(append stmt)
    preinit: list = dataclasses.field(default_factory=list)       # vars set to None first
    recompute: dict = dataclasses.field(default_factory=dict)     # id(block) -> [stmt]
    stacks: dict = dataclasses.field(default_factory=dict)        # var -> stack name

    def stack(self, var):
        return self.stacks[var]


def plan(body, params, adjoint_reads, extra_assignments, names, active=frozenset()):
    """Build the SavePlan.

    ``adjoint_reads`` maps id(stmt) to the primal names its adjoint reads; ``extra_assignments``
    maps id(stmt) to names a statement assigns besides its target (helper residuals).
    """
    walker = _Walker(extra_assignments)
    walker.block(body, loop_depth=0, parents=())
    through_views = _through_views(adjoint_reads, walker)
    mutated = {var for var, sites in walker.assignments.items()
               if any(site.kind in ("setitem", "append") for site in sites)}
    needed = set()
    for reads in adjoint_reads.values():
        needed |= reads
    for reads in through_views.values():
        needed |= reads & mutated
    result = SavePlan()

    def stack_for(var):
        if var not in result.stacks:
            result.stacks[var] = names.reserve("_stack_" + var.lstrip("_"))
        return result.stacks[var]

    for var in sorted(needed):
        sites = walker.assignments.get(var, [])
        if not sites or all(site.kind == "loop" for site in sites):
            continue
        in_loop = any(site.loop_depth > 0 for site in sites)
        if len(sites) == 1 and not in_loop and var not in params:
            continue
        if len(sites) == 1 and sites[0].kind == "assign" and in_loop \
                and var not in params and _block_local(var, sites[0], walker, adjoint_reads):
            site = sites[0]
            if _recomputable(site, walker, params, active):
                result.recompute.setdefault(id(site.block), []).append(site.stmt)
                continue
            result.push_after.setdefault(id(site.stmt), []).append(var)
            result.pop_at_block.setdefault(id(site.block), []).append(var)
            stack_for(var)
            continue
        first = _first_definition(sites) if var not in params else None
        readers = [walker.location[i] for i, reads in adjoint_reads.items()
                   if var in reads and i in walker.location]
        view_readers = [walker.location[i] for i, reads in through_views.items()
                        if var in reads and i in walker.location]
        for site in sites:
            if site is first:
                continue      # nothing to overwrite yet
            if site.kind in ("setitem", "append"):
                relevant = view_readers
            elif var in mutated:
                # a view restored in place must find its own array under the name again
                relevant = readers + view_readers
            else:
                relevant = readers
            if not any(_may_read_before(reader, site, walker) for reader in relevant):
                continue      # no adjoint needs the value this statement overwrites
            if site.kind == "assign":
                result.push_before.setdefault(id(site.stmt), []).append(var)
                stack_for(var)
            elif site.kind == "setitem":
                result.save_part.add(id(site.stmt))
                stack_for(var)
            elif site.kind == "append":
                result.undo_append.add(id(site.stmt))
        if var not in params and first is None and any(
                id(site.stmt) in result.push_before for site in sites):
            result.preinit.append(var)
    return result


@dataclasses.dataclass
class _Site:
    stmt: object
    block: list
    position: int
    loop_depth: int
    parents: tuple       # enclosing (block, position) pairs, outermost first
    kind: str            # 'assign' | 'setitem' | 'append' | 'loop'
    order: int = 0       # position in a pre-order walk of the body


class _Walker:
    """Where each variable is assigned and where each statement sits."""

    def __init__(self, extra_assignments):
        self.extra = extra_assignments
        self.assignments = {}
        self.location = {}     # id(stmt) -> _Site
        self.top_level = []
        self.own_reads = {}    # id(stmt) -> _primal_reads(stmt), found once per plan

    def reads_of(self, stmt_id):
        if stmt_id not in self.own_reads:
            self.own_reads[stmt_id] = _primal_reads(self.location[stmt_id].stmt)
        return self.own_reads[stmt_id]

    def block(self, statements, loop_depth, parents):
        if not parents:
            self.top_level = statements
        for position, stmt in enumerate(statements):
            site = _Site(stmt, statements, position, loop_depth, parents, "stmt",
                         len(self.location))
            self.location[id(stmt)] = site
            for var, kind in self._assigned(stmt):
                self.assignments.setdefault(var, []).append(
                    dataclasses.replace(site, kind=kind))
            inner = parents + ((statements, position),)
            if isinstance(stmt, gast.If):
                self.block(stmt.body, loop_depth, inner)
                self.block(stmt.orelse, loop_depth, inner)
            elif isinstance(stmt, (gast.For, gast.While)):
                self.block(stmt.body, loop_depth + 1, inner)

    def _assigned(self, stmt):
        found = []
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Name):
                found.append((target.id, "assign"))
            elif isinstance(target, gast.Subscript):
                found.append((target.value.id, "setitem"))
        elif isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
            func = stmt.value.func
            if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
                    and func.attr == "append":
                found.append((func.value.id, "append"))
        elif isinstance(stmt, gast.For):
            found.append((stmt.target.id, "loop"))
        for var in self.extra.get(id(stmt), ()):
            found.append((var, "assign"))
        return found


def _may_read_before(reader, site, walker):
    """Whether ``reader`` may run before ``site`` and have its adjoint run after ``site``'s:
    it comes earlier in the program, or both sit in a common loop."""
    if reader.order < site.order:
        return True
    return bool(_enclosing_loops(reader) & _enclosing_loops(site))


def _enclosing_loops(site):
    loops = set()
    for block, position in site.parents:
        stmt = block[position]
        if isinstance(stmt, (gast.For, gast.While)):
            loops.add(id(stmt))
    return loops


def _block_local(var, site, walker, adjoint_reads):
    """Whether every read of ``var`` happens inside ``site.block`` after ``site``."""
    after = set()
    for stmt in site.block[site.position:]:
        after |= {id(node) for node in syntax.walk(stmt) if isinstance(node, gast.stmt)}
    for stmt_id, reads in adjoint_reads.items():
        if var in reads and stmt_id not in after:
            return False
    for stmt_id in walker.location:
        if stmt_id in after:
            continue
        if var in walker.reads_of(stmt_id):
            return False
    return True


def _primal_reads(stmt):
    """Names a statement reads itself (not in nested blocks)."""
    if isinstance(stmt, gast.If):
        parts = [stmt.test]
    elif isinstance(stmt, gast.While):
        parts = [stmt.test]
    elif isinstance(stmt, gast.For):
        parts = [stmt.iter]
    elif isinstance(stmt, gast.Assign):
        parts = [stmt.value] + [t for t in stmt.targets if not isinstance(t, gast.Name)]
    else:
        parts = [stmt]
    return {n.id for part in parts for n in syntax.walk(part)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def _recomputable(site, walker, params, active):
    """Whether a block-local value is cheaper to compute again in the adjoint than to save:
    an inactive shape, length, index or comparison over values that do not change."""
    stmt = site.stmt
    if not isinstance(stmt, gast.Assign) or stmt.targets[0].id in active:
        return False
    value = stmt.value
    for node in syntax.walk(value):
        if isinstance(node, gast.Call):
            if not (isinstance(node.func, gast.Name) and node.func.id in ("len", "int", "float")):
                return False
        elif isinstance(node, gast.Attribute):
            if node.attr not in ("shape", "ndim", "size"):
                return False
        elif not isinstance(node, (gast.Name, gast.Constant, gast.BinOp, gast.UnaryOp,
                                   gast.Compare, gast.Subscript, gast.expr_context,
                                   gast.operator, gast.unaryop, gast.cmpop, gast.Tuple,
                                   gast.Slice, gast.BoolOp, gast.boolop)):
            return False
    loop_targets = {block[position].target.id for block, position in site.parents
                    if isinstance(block[position], gast.For)}
    for node in syntax.walk(value):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            name = node.id
            if name in loop_targets:
                continue
            sites = walker.assignments.get(name, [])
            stable = (name in params and not sites) or (
                len(sites) == 1 and not sites[0].parents and sites[0].kind == "assign"
                and sites[0].order < site.order)
            if not stable and (sites or name in params):
                return False
    return True


def _through_views(adjoint_reads, walker):
    """Count a read of ``v = x[i]`` (a view of ``x``) as a read of ``x`` as well: writing
    into ``x`` changes ``v``, so ``x``'s overwritten part must be saved and restored."""
    views = {}
    for var, sites in walker.assignments.items():
        for site in sites:
            stmt = site.stmt
            if site.kind == "assign" and isinstance(stmt, gast.Assign):
                base = primitives.view_base(stmt.value)
                if isinstance(base, gast.Name) and base.id != var:
                    views.setdefault(var, set()).add(base.id)
    widened = {}
    for stmt_id, reads in adjoint_reads.items():
        found = set(reads)
        frontier = list(reads)
        while frontier:
            for base in views.get(frontier.pop(), ()):
                if base not in found:
                    found.add(base)
                    frontier.append(base)
        widened[stmt_id] = found
    return widened


def _first_definition(sites):
    """The top-level assignment that runs before every other assignment, if there is one."""
    top = [s for s in sites if not s.parents]
    if not top:
        return None
    first = min(top, key=lambda s: s.position)
    if first.kind != "assign":
        return None
    for site in sites:
        if site.parents and site.parents[0][1] < first.position:
            return None
    return first
