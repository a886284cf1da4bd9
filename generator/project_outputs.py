"""The outputs of a rendered project that the failure tools read, named once for outputs.tf and ``generator.ops``.

Renaming one here renames the output and what ``failures --from-terraform`` reads together; a name spelled
apart on either side fails ``tests/test_project_outputs.py``.
"""

from __future__ import annotations

FAILURE_BUCKET_NAME = "failure_bucket_name"  # the bucket the failures commands read
DESTINATIONS = "destinations"  # where each function's records go, to say why there is no bucket to read
REGION = "region"  # the deployment's region, unless --region says otherwise
ASYNCHRONOUS_SETTINGS = "asynchronous_settings"  # what failures doctor checks each deployed function against
ATHENA_WORKGROUP = "athena_workgroup"  # where failures query and stats --athena run (analytics.enabled)
ATHENA_TABLE = "athena_table"  # the records table, as database.table

READ_BY_THE_FAILURE_TOOLS = (
    FAILURE_BUCKET_NAME, DESTINATIONS, REGION, ASYNCHRONOUS_SETTINGS, ATHENA_WORKGROUP, ATHENA_TABLE,
)  # fmt: skip
