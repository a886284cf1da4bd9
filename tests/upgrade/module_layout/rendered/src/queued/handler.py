"""Demo handler for an asynchronously invoked Lambda function.

It fails on request, so the path of a failed event to the on-failure destination
can be shown end to end: send {"forceError": true} and the invocation raises.
"""

import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


class ForcedError(Exception):
    """Raised when the event asks for a failure."""


def handler(event, context):
    logger.info("event: %s", json.dumps(event))
    if isinstance(event, dict) and event.get("forceError") is True:
        raise ForcedError("the event set forceError")
    return {"status": "ok", "requestId": context.aws_request_id}
