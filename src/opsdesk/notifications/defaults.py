"""The rules and wording a new install starts with (seeded by a migration, edited in the admin).

Templates see only these names: event, number, short_description, description, state,
priority, caller, assignee, assignment_group, resolution_notes, recipient, url, internal, and
per event: comment, comment_author (commented); survey_url (survey); acknowledge_url, reason
(page); level, why (escalation notice); update, next_update_due (stakeholder update);
sla_kind, due_at, threshold (SLA warning and breach); and for major-incident mail (declared,
stakeholder update) services (the affected services' names), summary and status_url.
``url`` is the ticket where the recipient follows it: the agents' workspace for agents, the
portal's ticket page (where a caller confirms or rejects a resolution) for everyone else.

Major-incident mail also reaches the users of the affected services, most of whom cannot open
the ticket: its templates hold only public text and link to the portal's service status.

An alert that fired (``alert_fired``, sent to the recipients of a rule's ``notify`` action) is
not a ticket: its templates see event, recipient, count (alerts in this mail), others
(count - 1), alerts (a list; each has id, summary, severity, resource, ci, service, team, url)
and the first alert's summary, severity, resource, ci, service, team and url.
"""

# (event, audience, email, in_app)
RULES = [
    ("opened", "caller", True, False),
    ("opened", "assignment_group", False, True),
    ("assigned", "assignee", True, True),
    ("assigned", "assignment_group", False, True),
    ("commented", "caller", True, False),
    ("commented", "assignee", True, True),
    ("commented", "watchers", True, True),
    ("waiting_for_you", "caller", True, False),
    ("resolved", "caller", True, False),
    ("resolved", "watchers", True, False),
    ("reopened", "assignee", True, True),
    ("reopened", "team_lead", False, True),
    ("survey", "named", True, False),
    ("sla_warning", "assignee", True, True),
    ("sla_warning", "team_lead", False, True),
    ("sla_breached", "assignee", True, True),
    ("sla_breached", "team_lead", True, True),
    ("page", "named", True, True),
    ("escalation_notice", "named", True, True),
    ("stakeholder_update", "caller", True, False),
    ("stakeholder_update", "watchers", True, False),
    ("stakeholder_update", "named", True, False),
    ("stakeholder_update", "service_users", True, False),
    ("alert_fired", "named", True, True),
    ("major_declared", "caller", True, False),
    ("major_declared", "watchers", True, False),
    ("major_declared", "service_users", True, False),
    ("manager_assigned", "named", True, True),
]

FOOTER = (
    "\n\n--\n{{ number }}: {{ url }}\n"
    "Reply to this mail to add a comment; keep the number in the subject.\n"
)
HTML_FOOTER = (
    '<hr><p><a href="{{ url }}">{{ number }}</a> · '
    "Reply to this mail to add a comment; keep the number in the subject.</p>"
)

# event: (subject, text body, html body)
TEMPLATES = {
    "opened": (
        "We have logged your call: {{ short_description }}",
        "Hello {{ recipient }},\n\nWe have logged your call as {{ number }} "
        "({{ priority }}): {{ short_description }}\nWe will be in touch.",
        "<p>Hello {{ recipient }},</p><p>We have logged your call as <b>{{ number }}</b> "
        "({{ priority }}): {{ short_description }}</p><p>We will be in touch.</p>",
    ),
    "assigned": (
        "Assigned: {{ short_description }}",
        "{{ number }} ({{ priority }}) is assigned to {{ assignee|default:assignment_group }}"
        " in {{ assignment_group }}.\n\n{{ short_description }}\nCaller: {{ caller }}",
        "<p><b>{{ number }}</b> ({{ priority }}) is assigned to "
        "{{ assignee|default:assignment_group }} in {{ assignment_group }}.</p>"
        "<p>{{ short_description }}<br>Caller: {{ caller }}</p>",
    ),
    "commented": (
        "{% if internal %}Work note{% else %}New comment{% endif %}: {{ short_description }}",
        "{{ comment_author }} {% if internal %}added a work note{% else %}wrote{% endif %}:"
        "\n\n{{ comment }}",
        "<p>{{ comment_author }} {% if internal %}added a work note{% else %}wrote{% endif %}:"
        "</p><blockquote>{{ comment|linebreaksbr }}</blockquote>",
    ),
    "waiting_for_you": (
        "We need your answer: {{ short_description }}",
        "Hello {{ recipient }},\n\n{{ number }} is waiting for your answer. Please reply to "
        "this mail or open the ticket.",
        "<p>Hello {{ recipient }},</p><p><b>{{ number }}</b> is waiting for your answer. "
        "Please reply to this mail or open the ticket.</p>",
    ),
    "resolved": (
        "Resolved: {{ short_description }}",
        "Hello {{ recipient }},\n\nWe have resolved {{ number }}:\n\n{{ resolution_notes }}\n\n"
        "If this fixes it, please confirm the resolution on the ticket. If it does not, "
        "reject the resolution there (or reply to this mail) and we will reopen it.",
        "<p>Hello {{ recipient }},</p><p>We have resolved <b>{{ number }}</b>:</p>"
        "<blockquote>{{ resolution_notes|linebreaksbr }}</blockquote>"
        '<p>If this fixes it, please <a href="{{ url }}">confirm the resolution</a>. If it '
        'does not, <a href="{{ url }}">reject the resolution</a> (or reply to this mail) '
        "and we will reopen it.</p>",
    ),
    "manager_assigned": (
        "Yours to manage: {{ short_description }}",
        "Hello {{ recipient }},\n\nYou are the problem manager of {{ number }} ({{ priority }}): "
        "{{ short_description }}\nGroup: {{ assignment_group }}",
        "<p>Hello {{ recipient }},</p><p>You are the problem manager of <b>{{ number }}</b> "
        "({{ priority }}): {{ short_description }}<br>Group: {{ assignment_group }}</p>",
    ),
    "reopened": (
        "Reopened: {{ short_description }}",
        "{{ number }} ({{ priority }}) was reopened and is back with {{ assignment_group }}.",
        "<p><b>{{ number }}</b> ({{ priority }}) was reopened and is back with "
        "{{ assignment_group }}.</p>",
    ),
    "survey": (
        "How did we do? {{ short_description }}",
        "Hello {{ recipient }},\n\nPlease tell us how we handled {{ number }} - one click and "
        "an optional comment:\n{{ survey_url }}",
        "<p>Hello {{ recipient }},</p><p>Please tell us how we handled <b>{{ number }}</b>: "
        '<a href="{{ survey_url }}">rate it</a>.</p>',
    ),
    "sla_warning": (
        "SLA warning ({{ threshold }} %): {{ short_description }}",
        "The {{ sla_kind }} target of {{ number }} ({{ priority }}) is {{ threshold }} % used; "
        "it is due at {{ due_at }}.",
        "<p>The {{ sla_kind }} target of <b>{{ number }}</b> ({{ priority }}) is "
        "{{ threshold }} % used; it is due at {{ due_at }}.</p>",
    ),
    "sla_breached": (
        "SLA breached: {{ short_description }}",
        "The {{ sla_kind }} target of {{ number }} ({{ priority }}) was missed.",
        "<p>The {{ sla_kind }} target of <b>{{ number }}</b> ({{ priority }}) was missed.</p>",
    ),
    "page": (
        "PAGE {{ priority }}: {{ short_description }}",
        "You are paged for {{ number }} ({{ priority }}): {{ short_description }}\n"
        "Reason: {{ reason }}\n\nAcknowledge: {{ acknowledge_url }}",
        "<p>You are paged for <b>{{ number }}</b> ({{ priority }}): {{ short_description }}"
        "</p><p>Reason: {{ reason }}</p>"
        '<p><a href="{{ acknowledge_url }}">Acknowledge</a></p>',
    ),
    "escalation_notice": (
        "Escalation notice: {{ short_description }}",
        "{{ number }} ({{ priority }}) needs attention: {{ why }}",
        "<p><b>{{ number }}</b> ({{ priority }}) needs attention: {{ why }}</p>",
    ),
}

# Major-incident mail goes to everyone who uses the affected services: public text only, a
# link to the service status they can all open, and no invitation to reply into the ticket.
BROADCAST_FOOTER = "\n\n--\n{{ number }} · Status of our services: {{ status_url }}\n"
BROADCAST_HTML_FOOTER = (
    '<hr><p>{{ number }} · <a href="{{ status_url }}">Status of our services</a></p>'
)

BROADCAST_TEMPLATES = {
    "major_declared": (
        "Service disruption: {{ services|default:short_description }}",
        "Hello {{ recipient }},\n\nWe are working on a major incident"
        "{% if services %} affecting {{ services }}{% endif %}:\n\n{{ summary }}\n\n"
        "We will send updates until it is over; there is no need to report it again.",
        "<p>Hello {{ recipient }},</p><p>We are working on a major incident"
        "{% if services %} affecting <b>{{ services }}</b>{% endif %}:</p>"
        "<blockquote>{{ summary|linebreaksbr }}</blockquote>"
        "<p>We will send updates until it is over; there is no need to report it again.</p>",
    ),
    "stakeholder_update": (
        "Major incident update: {{ short_description }}",
        "Update on {{ number }} ({{ state }}){% if services %}, affecting {{ services }}"
        "{% endif %}:\n\n{{ update }}"
        "{% if next_update_due %}\n\nNext update by {{ next_update_due }}.{% endif %}",
        "<p>Update on <b>{{ number }}</b> ({{ state }}){% if services %}, affecting "
        "{{ services }}{% endif %}:</p>"
        "<blockquote>{{ update|linebreaksbr }}</blockquote>"
        "{% if next_update_due %}<p>Next update by {{ next_update_due }}.</p>{% endif %}",
    ),
}

# Mail about records without a ticket number: no "reply to comment" footer.
ALERT_TEMPLATES = {
    "alert_fired": (
        "[{{ severity }}] Alert fired: {{ summary }}"
        "{% if others %} (and {{ others }} more){% endif %}",
        "{% for alert in alerts %}Alert fired: {{ alert.summary }}\n"
        "Severity: {{ alert.severity }}\n"
        "{% if alert.ci %}CI: {{ alert.ci }}\n{% endif %}"
        "{% if alert.service %}Service: {{ alert.service }}\n{% endif %}"
        "{% if alert.team %}Team: {{ alert.team }}\n{% endif %}"
        "{{ alert.url }}\n\n{% endfor %}"
        "--\nAn event rule names you in its notify action.\n",
        "{% for alert in alerts %}<p><b>Alert fired:</b> "
        '<a href="{{ alert.url }}">{{ alert.summary }}</a><br>'
        "Severity: {{ alert.severity }}"
        "{% if alert.ci %}<br>CI: {{ alert.ci }}{% endif %}"
        "{% if alert.service %}<br>Service: {{ alert.service }}{% endif %}"
        "{% if alert.team %}<br>Team: {{ alert.team }}{% endif %}</p>{% endfor %}"
        "<hr><p>An event rule names you in its notify action.</p>",
    ),
}

# Approval mail (``approval_requested``, ``approval_reminder``) goes to each approver with
# their own one-time link; opsdesk puts ``[APR:<token>]`` before the subject, so a reply
# finds its request. Templates see recipient, number, short_description, requester,
# requested_for, scheme, stage, answers (a list; each has label and value), decide_url,
# inbox_url and url. ``approval_rejected`` tells the requester: recipient, number,
# short_description, reason, url. ``approval_reply_refused`` answers an approver whose mail
# reply decided nothing: recipient, number, short_description, reason, inbox_url.
APPROVAL_DECIDE_TEXT = (
    "{{ recipient }}, your approval is needed.\n\n"
    "{{ number }}: {{ short_description }}\n"
    "Requested by: {{ requester }}\n"
    "{% if requested_for %}For: {{ requested_for }}\n{% endif %}"
    "Stage: {{ stage }} ({{ scheme }})\n"
    "{% for answer in answers %}{{ answer.label }}: {{ answer.value }}\n{% endfor %}"
    "\nApprove or reject: {{ decide_url }}\n\n"
    "Or reply to this mail with the word approve or reject as its first word; the rest of "
    "your reply is your comment. Keep the [APR:...] code in the subject.\n"
    "All your approvals: {{ inbox_url }}\n"
)
APPROVAL_DECIDE_HTML = (
    "<p>{{ recipient }}, your approval is needed.</p>"
    "<p><b>{{ number }}</b>: {{ short_description }}<br>Requested by: {{ requester }}"
    "{% if requested_for %}<br>For: {{ requested_for }}{% endif %}"
    "<br>Stage: {{ stage }} ({{ scheme }})</p>"
    "{% if answers %}<p>{% for answer in answers %}{{ answer.label }}: {{ answer.value }}<br>"
    "{% endfor %}</p>{% endif %}"
    '<p><a href="{{ decide_url }}">Approve or reject</a></p>'
    "<p>Or reply with <b>approve</b> or <b>reject</b> as the first word; the rest is your "
    'comment. <a href="{{ inbox_url }}">All your approvals</a></p>'
)
APPROVAL_TEMPLATES = {
    "approval_requested": (
        "Approval needed: {{ number }} {{ short_description }}",
        APPROVAL_DECIDE_TEXT,
        APPROVAL_DECIDE_HTML,
    ),
    "approval_reminder": (
        "Reminder, approval needed: {{ number }} {{ short_description }}",
        APPROVAL_DECIDE_TEXT,
        APPROVAL_DECIDE_HTML,
    ),
    "approval_rejected": (
        "[{{ number }}] Your request was rejected: {{ short_description }}",
        "{{ recipient }}, your request {{ number }} ({{ short_description }}) was not "
        "approved.\n\nReason: {{ reason }}\n\n{{ url }}\n",
        "<p>{{ recipient }}, your request <b>{{ number }}</b> ({{ short_description }}) was "
        "not approved.</p><p>Reason: {{ reason }}</p>"
        '<p><a href="{{ url }}">{{ number }}</a></p>',
    ),
    "approval_reply_refused": (
        "Your reply decided nothing: {{ number }} {{ short_description }}",
        "{{ recipient }}, your reply about {{ number }} ({{ short_description }}) did not "
        "record a decision.\n\n{{ reason }}\n\n"
        "Reply to the approval mail with approve or reject as the first word, or decide on "
        "your approvals page: {{ inbox_url }}\n",
        "<p>{{ recipient }}, your reply about <b>{{ number }}</b> ({{ short_description }}) "
        "did not record a decision.</p><p>{{ reason }}</p>"
        "<p>Reply to the approval mail with <b>approve</b> or <b>reject</b> as the first word, "
        'or decide on <a href="{{ inbox_url }}">your approvals page</a>.</p>',
    ),
}

# Access management mail names no ticket: it says what waits and links to the page where it
# is done. Every template sees event, recipient and url, and per event:
# ``access_expiring`` (to the holder and the entitlement's owner): entitlement, holder, ends
# (in the recipient's time zone), for_holder (the mail is to the holder), extension (url asks
# for more time); ``access_review_requested`` and ``access_review_reminder`` (to the
# reviewer): campaign, count (decisions waiting), deadline; ``access_manual_step`` (to the
# owner team, or the access managers when there is none): team; ``access_sod_violation`` (to
# the access managers): rule, person.
ACCESS_FOOTER = "\n\n--\nYou get this mail because of your part in access management.\n"
ACCESS_HTML_FOOTER = "<hr><p>You get this mail because of your part in access management.</p>"
ACCESS_TEMPLATES = {
    "access_expiring": (
        "{% if for_holder %}Your access ends soon: {{ entitlement }}"
        "{% else %}Access ends soon: {{ entitlement }} for {{ holder }}{% endif %}",
        "{{ recipient }},\n\n"
        "{% if for_holder %}your access to {{ entitlement }} ends on {{ ends }}.\n\n"
        "{% if extension %}Still need it? Ask for an extension: {{ url }}"
        "{% else %}Your access: {{ url }}{% endif %}"
        "{% else %}the access of {{ holder }} to {{ entitlement }}, which you own, ends on "
        "{{ ends }}. If they still need it, they can ask for an extension.\n\n{{ url }}"
        "{% endif %}",
        "<p>{{ recipient }},</p>"
        "{% if for_holder %}<p>your access to <b>{{ entitlement }}</b> ends on {{ ends }}.</p>"
        '{% if extension %}<p>Still need it? <a href="{{ url }}">Ask for an extension</a>.</p>'
        '{% else %}<p><a href="{{ url }}">Your access</a></p>{% endif %}'
        "{% else %}<p>the access of {{ holder }} to <b>{{ entitlement }}</b>, which you own, "
        "ends on {{ ends }}. If they still need it, they can ask for an extension.</p>"
        '<p><a href="{{ url }}">Access that ends soon</a></p>{% endif %}',
    ),
    "access_review_requested": (
        "Access reviews wait for you: {{ count }} in {{ campaign }}",
        "{{ recipient }},\n\nplease review {{ count }} access grant{{ count|pluralize }} "
        "in {{ campaign }} by {{ deadline }}: keep what is still needed, revoke the rest.\n\n"
        "Your reviews: {{ url }}",
        "<p>{{ recipient }},</p><p>please review <b>{{ count }}</b> access "
        "grant{{ count|pluralize }} in {{ campaign }} by {{ deadline }}: keep what is still "
        'needed, revoke the rest.</p><p><a href="{{ url }}">Your reviews</a></p>',
    ),
    "access_review_reminder": (
        "Reminder, access reviews wait for you: {{ count }} in {{ campaign }}",
        "{{ recipient }},\n\n{{ count }} access grant{{ count|pluralize }} in {{ campaign }} "
        "still wait{{ count|pluralize:'s,' }} for your decision; the review closes on "
        "{{ deadline }}.\n\nYour reviews: {{ url }}",
        "<p>{{ recipient }},</p><p><b>{{ count }}</b> access grant{{ count|pluralize }} in "
        "{{ campaign }} still wait{{ count|pluralize:'s,' }} for your decision; the review "
        'closes on {{ deadline }}.</p><p><a href="{{ url }}">Your reviews</a></p>',
    ),
    "access_manual_step": (
        "Access to provision by hand{% if team %} for {{ team }}{% endif %}",
        "{{ recipient }},\n\na change of access waits to be made by hand"
        "{% if team %} by {{ team }}{% endif %}: no directory does it by itself. "
        "Mark it done once it is made.\n\nProvisioning: {{ url }}",
        "<p>{{ recipient }},</p><p>a change of access waits to be made by hand"
        "{% if team %} by {{ team }}{% endif %}: no directory does it by itself. Mark it "
        'done once it is made.</p><p><a href="{{ url }}">Provisioning</a></p>',
    ),
    "access_sod_violation": (
        "Conflicting duties found: {{ person }} ({{ rule }})",
        "{{ recipient }},\n\n{{ person }} holds access that the rule {{ rule }} says one "
        "person may not hold together.\n\nConflicting duties: {{ url }}",
        "<p>{{ recipient }},</p><p>{{ person }} holds access that the rule <b>{{ rule }}</b> "
        'says one person may not hold together.</p><p><a href="{{ url }}">Conflicting '
        "duties</a></p>",
    ),
}


# Problem managers hear of a new trend-detection candidate (``trend_found``). Templates see
# recipient, short_description (the candidate's title), count, first_seen, last_seen, terms
# and url (the Trends page).
PROBLEM_TEMPLATES = {
    "trend_found": (
        "Recurring incidents: {{ short_description }}",
        "{{ recipient }}, trend detection found {{ count }} similar incidents between "
        "{{ first_seen }} and {{ last_seen }}: {{ short_description }}\n"
        "{% if terms %}Words they share: {{ terms }}\n{% endif %}"
        "\nAccept it as a problem or dismiss it: {{ url }}\n",
        "<p>{{ recipient }}, trend detection found <b>{{ count }}</b> similar incidents "
        "between {{ first_seen }} and {{ last_seen }}: {{ short_description }}</p>"
        "{% if terms %}<p>Words they share: {{ terms }}</p>{% endif %}"
        '<p><a href="{{ url }}">Accept it as a problem or dismiss it</a></p>',
    ),
}


def seed(apps) -> None:
    """Add the default rules and templates that are missing; never overwrite an admin's edits."""
    rule_model = apps.get_model("notifications", "NotificationRule")
    template_model = apps.get_model("notifications", "NotificationTemplate")
    for event, audience, email, in_app in RULES:
        rule_model.objects.get_or_create(
            event=event, audience=audience, defaults={"email": email, "in_app": in_app}
        )
    for event, (subject, text, html) in TEMPLATES.items():
        template_model.objects.get_or_create(
            event=event,
            defaults={
                "subject": subject,
                "body_text": text + FOOTER,
                "body_html": html + HTML_FOOTER,
            },
        )
    for event, (subject, text, html) in BROADCAST_TEMPLATES.items():
        template_model.objects.get_or_create(
            event=event,
            defaults={
                "subject": subject,
                "body_text": text + BROADCAST_FOOTER,
                "body_html": html + BROADCAST_HTML_FOOTER,
            },
        )
    for event, (subject, text, html) in [
        *ALERT_TEMPLATES.items(),
        *APPROVAL_TEMPLATES.items(),
        *PROBLEM_TEMPLATES.items(),
    ]:
        template_model.objects.get_or_create(
            event=event, defaults={"subject": subject, "body_text": text, "body_html": html}
        )
    for event, (subject, text, html) in ACCESS_TEMPLATES.items():
        template_model.objects.get_or_create(
            event=event,
            defaults={
                "subject": subject,
                "body_text": text + ACCESS_FOOTER,
                "body_html": html + ACCESS_HTML_FOOTER,
            },
        )
