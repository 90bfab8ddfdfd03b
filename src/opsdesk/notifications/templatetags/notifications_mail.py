from django import template
from django.contrib.contenttypes.models import ContentType

from opsdesk.core.roles import is_admin
from opsdesk.notifications.models import SentMail

register = template.Library()


@register.inclusion_tag("notifications/_mail_log.html", takes_context=True)
def mail_log(context, record, limit=20):
    """The mails the development sink kept about ``record``, newest first."""
    mails = []
    if record is not None and record.pk is not None:
        ct = ContentType.objects.get_for_model(record)
        mails = list(SentMail.objects.filter(content_type=ct, object_id=str(record.pk))[:limit])
    request = context.get("request")
    return {"mails": mails, "can_open": bool(request and is_admin(request.user))}
