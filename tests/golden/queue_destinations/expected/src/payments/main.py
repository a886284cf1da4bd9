"""A team's own handler, packaged by the generator from the config's source directory."""

from lib.parse import parse_order


def handle(event, context):
    return {"order": parse_order(event)}
