def parse_order(event):
    if "orderId" not in event:
        raise ValueError("event has no orderId")
    return event["orderId"]
