"""Service levels: business calendars, business-time arithmetic, SLA/OLA policies and timers."""
