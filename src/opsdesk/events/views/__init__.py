"""The operations console: live alerts, alert pages, rules, windows, integrations, heartbeats.

Agents watch alerts, plan maintenance windows and test payloads against the rules;
administrators change integrations, rules and heartbeats (the same split as the API).
"""
