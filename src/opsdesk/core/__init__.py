"""Users, teams, roles, audit trail, outbox, numbering, timeline and attachments."""
