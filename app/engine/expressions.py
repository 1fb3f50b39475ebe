"""The expression sandbox for gateway conditions, DMN cells and service-task parameters.

An expression is parsed, checked against a whitelist of AST nodes (no attribute access, no names
starting with ``_``, no ``**``, no lambdas or comprehensions, calls only to a few pure functions by
name) and evaluated by simpleeval with size guards on every operation that could grow a value, so
neither an uploaded model nor task data can run code or hang the worker.
"""

from __future__ import annotations

import ast
import decimal
import functools
import threading
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import simpleeval

MAX_SOURCE_LENGTH = 2_000
MAX_NODES = 500
MAX_DEPTH = 60
MAX_SIZE = 100_000  # elements (or characters) a repeated or concatenated value may hold
MAX_INT_BITS = 4_096  # operands of an integer product
MAX_INT_DIGITS = 100  # int()/round() of a Decimal: Decimal('1e999999999') would make a billion digits
MAX_ROUND_DIGITS = 100  # round(5, -10**9) would compute 10**(10**9)


class ExpressionError(Exception):
    """An expression was refused by the sandbox or failed while it was evaluated."""


# operators simpleeval implements as they are; + * % get our size guards
_PLAIN_OPERATORS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot)
_PLAIN_OPERATORS += (ast.Not, ast.USub, ast.UAdd, ast.Sub, ast.Div, ast.FloorDiv)
_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    *(ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.BinOp),
    *(ast.Subscript, ast.Slice, ast.IfExp, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.Call, ast.keyword),
    *(ast.And, ast.Or, ast.Add, ast.Mult, ast.Mod, *_PLAIN_OPERATORS),
)
_CONSTANT_TYPES = (str, int, float, bool, type(None))
_REFUSED = {
    ast.Attribute: "attribute access (such as a.b or 'a'.upper())",
    ast.Pow: "the power operator **",
    ast.Lambda: "lambda functions",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.Starred: "starred arguments (*x)",
    ast.NamedExpr: "assignment expressions (:=)",
    ast.JoinedStr: "f-strings",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.MatMult: "the operator @",
    ast.Invert: "the operator ~",
    **dict.fromkeys((ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift), "bitwise operators"),
}


def _size(value: Any) -> int:
    """Elements in ``value`` counted through nested containers (strings count characters).

    Counting stops once MAX_SIZE is passed, so the cost is bounded too.
    """
    total, stack = 0, [value]
    while stack and total <= MAX_SIZE:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += max(len(item), 1)
        elif isinstance(item, list | tuple | set | frozenset | dict):
            total += 0 if item else 1
            stack.extend(item.items() if isinstance(item, dict) else item)
        else:
            total += 1
    return total


def _refuse_big_int(value: Any) -> None:
    """Refuse turning a Decimal with a huge exponent into an int (it would take hours)."""
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() > MAX_INT_DIGITS:
        raise ExpressionError(f"refusing to turn a number with more than {MAX_INT_DIGITS} digits into int")


def _multiply(left: Any, right: Any) -> Any:
    """``left * right`` with sequence repetition and integer products bounded."""
    for sequence, count in ((left, right), (right, left)):
        repeats = isinstance(sequence, str | bytes | list | tuple) and isinstance(count, int) and count > 0
        if repeats and count * _size(sequence) > MAX_SIZE:
            raise ExpressionError(f"repetition would make a value larger than {MAX_SIZE} elements")
    if (
        isinstance(left, int)
        and isinstance(right, int)
        and left.bit_length() + right.bit_length() > MAX_INT_BITS
    ):
        raise ExpressionError("integer product too large")
    return left * right


def _add(left: Any, right: Any) -> Any:
    """``left + right`` with concatenated strings and sequences bounded."""
    sequences = isinstance(left, str | bytes | list | tuple) and isinstance(right, str | bytes | list | tuple)
    if sequences and _size(left) + _size(right) > MAX_SIZE:
        raise ExpressionError(f"concatenation would make a value larger than {MAX_SIZE} elements")
    return left + right


def _modulo(left: Any, right: Any) -> Any:
    """``left % right`` for numbers; ``'%999999999s' % x`` string formatting is refused."""
    if isinstance(left, str | bytes):
        raise ExpressionError("string formatting with % is not allowed")
    return left % right


def _int(value: Any = 0, base: int | None = None) -> int:
    """``int()`` that refuses to build gigantic integers from Decimals."""
    _refuse_big_int(value)
    return int(value) if base is None else int(value, base)


def _round(number: Any, ndigits: int | None = None) -> Any:
    """``round()`` with the number of digits bounded."""
    if ndigits is None:
        _refuse_big_int(number)
    elif isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise ExpressionError(f"round() takes at most {MAX_ROUND_DIGITS} digits")
    return round(number, ndigits)


def _sum(values: Iterable[Any], start: Any = 0) -> Any:
    """``sum()`` of numbers only (``sum(lists, [])`` could build huge lists)."""
    if not isinstance(start, int | float | Decimal):
        raise ExpressionError("sum() adds numbers only")
    return sum(values, start)


def _str(value: Any = "") -> str:
    """``str()`` of a single value (text, number, boolean or None), never of a container."""
    if not isinstance(value, str | int | float | Decimal | type(None)):
        raise ExpressionError(f"str() takes text or a number, not {type(value).__name__}")
    return str(value)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "min": min,
    "max": max,
    "abs": abs,
    "round": _round,
    "sum": _sum,
    "int": _int,
    "float": float,
    "Decimal": Decimal,
    "str": _str,
    "bool": bool,
    "any": any,
    "all": all,
    "sorted": sorted,
}
_FUNCTION_IDS = frozenset(id(function) for function in FUNCTIONS.values())
_ALLOWED_FUNCTIONS_TEXT = ", ".join(sorted(FUNCTIONS))


def _check_node(node: ast.AST) -> None:
    """Refuse one AST node that is not on the whitelist, with a readable reason."""
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        raise ExpressionError(f"names starting with '_' are not allowed ({node.id})")
    if isinstance(node, ast.Constant) and not isinstance(node.value, _CONSTANT_TYPES):
        raise ExpressionError(f"{type(node.value).__name__} literals are not allowed")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in FUNCTIONS:
        raise ExpressionError(
            f"calling {node.func.id}() is not allowed; allowed functions: {_ALLOWED_FUNCTIONS_TEXT}"
        )
    if isinstance(node, ast.Call) and not isinstance(node.func, ast.Name | ast.Attribute):
        raise ExpressionError("only functions named directly may be called, such as len(x)")
    if (isinstance(node, ast.keyword) and node.arg is None) or (
        isinstance(node, ast.Dict) and None in node.keys
    ):
        raise ExpressionError("unpacking with ** is not allowed")
    if not isinstance(node, _ALLOWED_NODES):
        what = _REFUSED.get(type(node), type(node).__name__)
        raise ExpressionError(f"not allowed in an expression: {what}")


@functools.lru_cache(maxsize=1024)
def _checked_tree(source: str) -> ast.Expression:
    """Parse and whitelist-check ``source``; the tree is cached by source text."""
    if not isinstance(source, str):
        raise ExpressionError("an expression must be text")
    text = source.strip()
    if len(text) > MAX_SOURCE_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_SOURCE_LENGTH} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except (RecursionError, MemoryError) as exc:
        raise ExpressionError("expression nested too deeply") from exc
    except ValueError as exc:  # e.g. a NUL character
        raise ExpressionError(f"expression cannot be read: {exc}") from exc
    count, stack = 0, [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES or depth > MAX_DEPTH:
            raise ExpressionError("expression too long or nested too deeply")
        _check_node(node)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return tree


def check_expression(source: str) -> None:
    """Refuse ``source`` unless it is an expression made only of whitelisted constructs.

    A plain syntax error raises ``SyntaxError`` unchanged (SpiffWorkflow's DMN engine relies on
    catching it); anything parseable but not allowed raises ``ExpressionError`` naming the construct.
    """
    _checked_tree(source)


class _Evaluator(simpleeval.EvalWithCompoundTypes):
    """simpleeval restricted to our nodes, operators and functions; results may not be callables."""

    def __init__(self) -> None:
        operators = {op: simpleeval.DEFAULT_OPERATORS[op] for op in _PLAIN_OPERATORS}
        operators |= {ast.Add: _add, ast.Mult: _multiply, ast.Mod: _modulo}
        super().__init__(operators=operators, functions=dict(FUNCTIONS), names={})
        self.functions = dict(FUNCTIONS)  # the parent class adds list/tuple/dict/set
        self.nodes = {
            node_type: handler for node_type, handler in self.nodes.items() if node_type in _ALLOWED_NODES
        }

    def _eval(self, node: ast.AST) -> Any:
        result = super()._eval(node)
        if callable(result) and id(result) not in _FUNCTION_IDS:
            raise ExpressionError("a value in the data is a function; expressions may not use it")
        return result


_local = threading.local()


def _evaluator() -> _Evaluator:
    """This thread's evaluator (building one per call would rebuild its tables every time)."""
    if not hasattr(_local, "evaluator"):
        _local.evaluator = _Evaluator()
    return _local.evaluator


def evaluate(source: str, names: Mapping[str, Any]) -> Any:
    """Check ``source`` and evaluate it with ``names`` as its variables.

    Refusals and run-time failures (unknown name, missing key, wrong type, division by zero, a
    value growing too large) raise ``ExpressionError`` with a readable message.
    """
    tree = _checked_tree(source)
    evaluator = _evaluator()
    evaluator.names = names
    try:
        return evaluator.eval(source, previously_parsed=tree.body)
    except ExpressionError:
        raise
    except simpleeval.NameNotDefined as exc:
        raise ExpressionError(f"unknown name '{exc.name}'") from exc
    except simpleeval.InvalidExpression as exc:
        raise ExpressionError(str(exc)) from exc
    except KeyError as exc:
        raise ExpressionError(f"missing key {exc}") from exc
    except decimal.InvalidOperation as exc:
        raise ExpressionError("invalid decimal operation") from exc
    except RecursionError as exc:
        raise ExpressionError("expression or data nested too deeply") from exc
    except Exception as exc:
        raise ExpressionError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        evaluator.names = {}
