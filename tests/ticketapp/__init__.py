"""A record type built from the ticket platform's registry alone, for the platform's tests.

It imports nothing from ``opsdesk.incidents``: whatever it gets (numbers, assignment,
watching, comments, mail threading, queues, search, SLA clocks), any new record type gets.
"""
