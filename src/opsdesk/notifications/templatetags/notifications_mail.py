from django import template

from opsdesk.core.roles import is_admin
from opsdesk.notifications.selectors import sent_mail_about

register = template.Library()


@register.inclusion_tag("notifications/_mail_log.html", takes_context=True)
def mail_log(context, record, limit=20):
    """The mails the development sink kept about ``record``, newest first."""
    request = context.get("request")
    return {
        "mails": sent_mail_about(record=record, limit=limit),
        "can_open": bool(request and is_admin(request.user)),
    }
