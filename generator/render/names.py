"""Names of the AWS resources a project creates, scoped by the project so that deployments never collide.

IAM is global to an account, and queues, topics and buses are per account and region: two
projects with a function of the same name (say dev and prod in one account) would otherwise
ask for the same role. Function names stay exactly as written in the config.
"""

from __future__ import annotations

import hashlib

MAX_ROLE_NAME = 64  # IAM's limit
MAX_RULE_NAME = 64  # EventBridge's limit on a rule's name


def scoped_name(project: str, *parts: str, limit: int) -> str:
    """``<project>-<part>-<part>``, shortened with a stable hash of the whole where ``limit`` needs it."""
    name = "-".join((project, *parts))
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    tail = f"-{digest}-{parts[-1]}" if len(parts) > 1 else f"-{digest}"
    return name[: limit - len(tail)].rstrip("-") + tail


def role_name(project: str, function: str) -> str:
    """The execution role of ``function``: ``<project>-<function>-role``, within IAM's 64 characters."""
    return scoped_name(project, function, "role", limit=MAX_ROLE_NAME)


def record_rule_name(project: str, function: str) -> str:
    """The EventBridge rule that announces ``function``'s new failure records, within EventBridge's 64 characters."""
    return scoped_name(project, function, "failure-records", limit=MAX_RULE_NAME)


def topic_name(project: str) -> str:
    """The SNS topic that receives the project's alarms and failure-record notices."""
    return f"{project}-notifications"


def glue_database(project: str) -> str:
    """The Glue database of the failure records: Athena wants letters, digits and underscores in its names."""
    return project.replace("-", "_") + "_failures"


def athena_workgroup(project: str) -> str:
    return f"{project}-failures"
