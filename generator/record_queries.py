"""The SQL the project runs over the failure records: the saved Athena queries, and the queries of stats --athena.

The table they read is ``records`` in the project's Glue database (athena.tf). Keys of the layout
``aws/lambda/async/<function>/YYYY/MM/DD/`` become the partitions ``function`` and ``day``, so a condition on
``day`` reads only those days' objects. Every query is Trino SQL (Athena engine 3) and counts what the failures
commands count: counts by function and day come from keys alone, so they count the objects in the record layout
(``IN_LAYOUT``); anything that reads a record also leaves out an object without a request id, function ARN or
condition (``IS_RECORD``). The tests parse each query with sqlglot's Trino dialect and run it on DuckDB over
records laid out as in the bucket, beside ``failures stats`` and ``failures list`` on the same records.
"""

from __future__ import annotations

from generator.record import Record

# The record's name within its day: <time>-<uuid>, as generator.ops.records reads it.
_NAME = r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}\.[0-9]{2}\.[0-9]{2})-[0-9A-Fa-f-]{36}$"
# An object whose key is in the record layout: what stats counts by function and day, from keys alone.
IN_LAYOUT = f"""regexp_like("$path", '/{_NAME}')"""
# An object in the layout that the failures commands read as a record: what they count once they read records.
IS_RECORD = (
    f"{IN_LAYOUT}\n  AND requestcontext.requestid <> ''\n  AND requestcontext.functionarn <> ''\n"
    "  AND requestcontext.condition <> ''"
)
# The dimensions a key tells: counting by them alone reads no record, locally or in Athena.
FROM_KEY = ("function", "day")
# The time in a record's key, as text that sorts as the time does: YYYY-MM-DDTHH.MM.SS (UTC).
KEY_TIME = f"""regexp_extract("$path", '{_NAME}', 1)"""
KEY_TIME_FORMAT = "%Y-%m-%dT%H.%M.%S"
DAY_FORMAT = "%Y/%m/%d"  # the day partition's values
# The key of a record relative to the bucket, as the failures commands take it.
_KEY = """regexp_extract("$path", 'aws/lambda/async/.*$') AS key"""
_LAST_WEEK = "day >= date_format(current_date - INTERVAL '7' DAY, '%Y/%m/%d')"

# What failures stats counts by, as SQL over the table: the day as YYYY-MM-DD, and no error type as NULL.
DIMENSIONS = {
    "function": "function",
    "day": "replace(day, '/', '-')",
    "condition": "requestcontext.condition",
    "error_type": "nullif(responsepayload.errortype, '')",
}


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
        f"SELECT function, day, count(*) AS failures\nFROM records\nWHERE {_LAST_WEEK}\n  AND {IN_LAYOUT}\n"
        "GROUP BY function, day\nORDER BY day DESC, failures DESC",
    ),
    NamedQuery(
        "failures_by_error",
        "Failures by condition and error type",
        "Why the last 7 days' events failed: the condition Lambda recorded and the error the function raised.",
        f"SELECT function, requestcontext.condition AS condition, {DIMENSIONS['error_type']} AS error_type,\n"
        f"  count(*) AS failures\nFROM records\nWHERE {_LAST_WEEK}\n  AND {IS_RECORD}\nGROUP BY 1, 2, 3\n"
        "ORDER BY failures DESC",
    ),
    NamedQuery(
        "record_of_request",
        "Record of one request ID",
        "The record of the request ID given as the parameter, with its key for `failures show`.",
        f"SELECT {_KEY}, *\nFROM records\nWHERE requestcontext.requestid = ?\n  AND {IS_RECORD}",
    ),
    NamedQuery(
        "events_to_redrive",
        "Events to redrive in a window",
        "The records of the days from the first parameter to the second (YYYY/MM/DD), oldest first; pass their "
        "keys to `failures redrive`.",
        f"SELECT {_KEY}, function, requestcontext.requestid AS request_id, requestcontext.condition AS condition,\n"
        f'  requestpayload\nFROM records\nWHERE day BETWEEN ? AND ?\n  AND {IS_RECORD}\nORDER BY "timestamp"',
    ),
)
BY_RESOURCE = {query.resource: query for query in NAMED_QUERIES}
