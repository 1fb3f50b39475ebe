"""Service-task handlers: named Python functions a BPMN service task may call.

    @service_task("credit.check")
    def check_credit(dealer: str, amount: Decimal) -> dict: ...

A deploy refuses a service task whose operation is not registered; parameters are
evaluated in the expression sandbox and passed by name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

_HANDLERS: dict[str, Callable[..., Any]] = {}


class UnknownOperation(LookupError):
    """A service task names an operation nobody registered."""


def service_task(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``func`` as the handler of operation ``name``."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        _HANDLERS[name] = func
        return func

    return register


def operations() -> set[str]:
    """Names of every registered operation."""
    return set(_HANDLERS)


def call(name: str, params: dict[str, Any]) -> Any:
    """Run operation ``name`` with keyword ``params``; unknown names and parameters are refused."""
    handler = _HANDLERS.get(name)
    if handler is None:
        raise UnknownOperation(f"no service-task operation named {name!r}")
    signature = inspect.signature(handler)
    takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    unknown = set() if takes_any else set(params) - set(signature.parameters)
    if unknown:
        raise TypeError(f"{name}: unexpected parameter(s) {', '.join(sorted(unknown))}")
    return handler(**params)


@service_task("platform.echo")
def echo(**values: Any) -> dict[str, Any]:
    """Return the parameters as they are (for flows that copy or rename variables)."""
    return dict(values)
