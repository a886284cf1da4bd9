"""Redrive: ``run`` sends failed events back and moves their records aside, under the claim protocol of
``claims``, to the functions ``targets`` allows. The names the CLI and other callers use are handed on here.
"""

from generator.ops.redrive.run import HELD_WAIT_SECONDS, MAX_CONCURRENCY, Pace, run_redrive
from generator.ops.redrive.targets import QUALIFIER_PATTERN

__all__ = ["HELD_WAIT_SECONDS", "MAX_CONCURRENCY", "QUALIFIER_PATTERN", "Pace", "run_redrive"]
