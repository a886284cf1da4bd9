"""Which call of the function module holds each function: one call up to a hundred functions, up to sixteen beyond.

Terraform 1.11's plan time grows about with the square of the instances of one module call, whatever they hold
(benchmarks/bench_module_calls.py; the figures are in the README's Performance section). Calls of at most about a
hundred functions keep the plan of a project linear in its functions.

A function's group is the first hex digit of the SHA-256 of its name, one of sixteen. It depends on nothing but
the name: adding or removing other functions never moves it, and the same config renders the same layout
anywhere. Only crossing the threshold changes a function's call, between ``function`` and
``functions_<digit>``; moved.tf holds one block a function for that move, the way back included, so neither
direction re-creates anything. Sixteen groups hold about a hundred functions each at 1,600 functions; past that
the groups grow.
"""

from __future__ import annotations

import hashlib

FUNCTIONS_PER_CALL = 100  # up to this many functions, one module call holds them all
SINGLE_CALL = "function"


def grouped(function_count: int) -> bool:
    """Whether a project of this many functions calls the module once per group."""
    return function_count > FUNCTIONS_PER_CALL


def group_of(name: str) -> str:
    """The group digit of a function, from its name alone."""
    return hashlib.sha256(name.encode()).hexdigest()[0]


def grouped_call(group: str) -> str:
    return f"functions_{group}"


def module_call(name: str, function_count: int) -> str:
    """The module call that holds ``name`` in a project of ``function_count`` functions."""
    return grouped_call(group_of(name)) if grouped(function_count) else SINGLE_CALL


def other_call(name: str, function_count: int) -> str:
    """The call that held ``name`` had the project been on the other side of the threshold: moved.tf's source."""
    return SINGLE_CALL if grouped(function_count) else grouped_call(group_of(name))
