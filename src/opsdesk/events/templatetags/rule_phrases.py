"""``{% for rule, text in objects|described %}``: rules with their phrases, for the lists."""

from django import template

from opsdesk.events.rule_phrases import describe_rules

register = template.Library()


@register.filter
def described(rules):
    return describe_rules(rules)
