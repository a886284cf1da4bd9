"""The saved Athena queries over the failure records: what an operator asks first during an incident.

The table they read is ``records`` in the project's Glue database (athena.tf). Keys of the layout
``aws/lambda/async/<function>/YYYY/MM/DD/`` become the partitions ``function`` and ``day``, so a
condition on ``day`` reads only those days' objects.
"""

from __future__ import annotations

from generator.record import Record

# The key of a record relative to the bucket, as the failures commands take it.
_KEY = """regexp_extract("$path", 'aws/lambda/async/.*$') AS key"""
_LAST_WEEK = "day >= date_format(current_date - INTERVAL '7' DAY, '%Y/%m/%d')"


class NamedQuery(Record):
    resource: str
    name: str
    description: str
    sql: str


NAMED_QUERIES = (
    NamedQuery(
        "failures_per_day",
        "Failures per function and day",
        "How many records each function wrote each day of the last 7 days.",
        f"SELECT function, day, count(*) AS failures\nFROM records\nWHERE {_LAST_WEEK}\nGROUP BY function, day\n"
        "ORDER BY day DESC, failures DESC",
    ),
    NamedQuery(
        "failures_by_error",
        "Failures by condition and error type",
        "Why the last 7 days' events failed: the condition Lambda recorded and the error the function raised.",
        "SELECT function, requestcontext.condition AS condition, responsepayload.errortype AS error_type,\n"
        f"  count(*) AS failures\nFROM records\nWHERE {_LAST_WEEK}\nGROUP BY 1, 2, 3\nORDER BY failures DESC",
    ),
    NamedQuery(
        "record_of_request",
        "Record of one request ID",
        "The record of the request ID given as the parameter, with its key for `failures show`.",
        f"SELECT {_KEY}, *\nFROM records\nWHERE requestcontext.requestid = ?",
    ),
    NamedQuery(
        "events_to_redrive",
        "Events to redrive in a window",
        "The records of the days from the first parameter to the second (YYYY/MM/DD), oldest first; pass their "
        "keys to `failures redrive`.",
        f"SELECT {_KEY}, function, requestcontext.requestid AS request_id, requestcontext.condition AS condition,\n"
        '  requestpayload\nFROM records\nWHERE day BETWEEN ? AND ?\nORDER BY "timestamp"',
    ),
)
