"""What lies where in the failure bucket: the one home that the templates and the failure tools share.

Lambda writes the records (their layout is Lambda's, in lambda_facts); the failure tools write the claims and
the redriven copies; Athena writes its query results. The role policies, the lifecycle rules, the table's
location, the notices and every command read their prefixes from here.
"""

from __future__ import annotations

from generator.lambda_facts import RECORD_PREFIX

CLAIM_PREFIX = "redrive-claims/"  # a redrive's claim on a record, one object per record (ops/redrive.py)
REDRIVEN_PREFIX = "redriven/"  # where a sent record moves, under the same key
ATHENA_RESULTS_PREFIX = "athena-results/"  # the workgroup's query results, expired by a lifecycle rule

__all__ = ["ATHENA_RESULTS_PREFIX", "CLAIM_PREFIX", "RECORD_PREFIX", "REDRIVEN_PREFIX"]
