"""Who hears about what: notification rules, email over SMTP from the outbox, webhooks."""
