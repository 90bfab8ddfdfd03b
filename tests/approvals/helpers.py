from opsdesk.approvals.models import ApprovalRequest, RequestState
from opsdesk.approvals.services import approval_decide
from opsdesk.core.models import OutboxEvent


def pending_for(approval, user):
    return ApprovalRequest.objects.get(
        run__approval=approval, approver=user, state=RequestState.PENDING
    )


def decide(approval, user, decision, comment="", via="inbox"):
    return approval_decide(
        request=pending_for(approval, user),
        decision=decision,
        comment=comment,
        actor=user,
        via=via,
    )


def facts(topic):
    return list(OutboxEvent.objects.filter(topic=topic).order_by("id"))
