"""The failure-record tools: read, show, wait for and redrive the records Lambda writes to the failure bucket.

boto3 is an optional dependency (``pip install .[ops]``); only this package imports it, and only
``python -m generator failures ...`` imports this package. Modules, from the outside in:
``commands`` (list, show, wait) and ``redrive`` use ``reading`` (listing and selecting records),
``present`` (what reaches the terminal), ``project`` (the bucket from ``terraform output``) and
``aws`` (clients, and AWS errors in words); ``records`` knows the record format and nothing of AWS.
"""
