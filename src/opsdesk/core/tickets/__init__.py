"""The ticket platform: what every ticket has and does, written once.

``registry`` is where a record type declares itself; ``history`` writes the typed rows metrics
read; ``services`` are the writes any ticket shares (assign, watch, comment, work note,
acknowledge, attach, and the one transition step); ``task`` is the TASK record type.
docs/architecture.md draws how the pieces fit and shows how to add a record type.
"""
