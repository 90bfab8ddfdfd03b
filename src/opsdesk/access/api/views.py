"""Access management API: the catalog of access, asking for it, who holds what, provisioning,
reviews, conflicting duties and leavers. Every move is an action calling a service.

Who sees what follows the selectors: requesters their own requests and grants, owners their
entitlements and those entitlements' holders, reviewers their review items, agents and access
managers the desk's view. A refusal is the service's, in the API's one error body.
"""

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from opsdesk.access import selectors, services
from opsdesk.access.api import filtersets as f
from opsdesk.access.api import serializers as s
from opsdesk.access.models import (
    AccessPackage,
    Decision,
    EndReason,
    Entitlement,
    GrantState,
    ProvisioningStep,
    ReviewCampaign,
    ReviewItem,
    SodViolation,
)
from opsdesk.access.services import entitlements as entitlement_services
from opsdesk.access.services import reviews
from opsdesk.core.api.base import ServiceViewSet
from opsdesk.core.errors import NotPermitted
from opsdesk.core.models import User
from opsdesk.core.roles import is_agent

# Usernames may hold dots and @ (``jo.bloggs``, ``jo@example.com``); the router's default
# pattern stops at a dot.
USERNAME = r"[^/]+"


def _sees_desk(user) -> bool:
    return is_agent(user) or selectors.may_manage_access(user)


class SeesAccessDesk(permissions.BasePermission):
    message = "Only the service desk and access managers see this."

    def has_permission(self, request, view):
        return _sees_desk(request.user)


class ManagesAccess(permissions.BasePermission):
    message = "Only access managers may do this."

    def has_permission(self, request, view):
        return selectors.may_manage_access(request.user)


class ManagesAccessOrReads(permissions.BasePermission):
    message = "Only access managers change what can be held."

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return selectors.may_manage_access(request.user)


def _given(serializer_class, request) -> dict:
    given = serializer_class(data=request.data)
    given.is_valid(raise_exception=True)
    return dict(given.validated_data)


# --- entitlements -----------------------------------------------------------------------------
class EntitlementViewSet(ServiceViewSet):
    """What can be held; owners see their own, the desk all, access managers change them."""

    serializer_class = s.EntitlementSerializer
    permission_classes = [permissions.IsAuthenticated, ManagesAccessOrReads]
    filterset_class = f.EntitlementFilterSet
    selector = staticmethod(selectors.entitlements_visible)
    search_fields = ["name", "application__name"]
    ordering_fields = ["id", "name"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Entitlement.objects.none()
        active = Count("grants", filter=Q(grants__state=GrantState.ACTIVE))
        return super().get_queryset().select_related("owner_team").annotate(active_holders=active)

    def create_record(self, *, actor, data):
        data.pop("version", None)
        return entitlement_services.entitlement_save(actor=actor, **data)

    def update_record(self, *, actor, instance, data, expected_version):
        return entitlement_services.entitlement_save(
            actor=actor, entitlement=instance, expected_version=expected_version, **data
        )

    def perform_create(self, serializer):
        super().perform_create(serializer)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_update(self, serializer):
        super().perform_update(serializer)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    @extend_schema(responses=s.GrantSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def holders(self, request, pk=None):
        """Who holds it now (active grants): its owner and access managers only."""
        entitlement = self.get_object()
        if not (
            selectors.may_manage_access(request.user) or entitlement.owner_id == request.user.pk
        ):
            raise NotPermitted("Only the entitlement's owner and access managers see its holders.")
        grants = (
            selectors.grants_visible(request.user)
            .filter(entitlement=entitlement, state=GrantState.ACTIVE)
            .order_by("-id")
        )
        page = self.paginate_queryset(grants)
        return self.get_paginated_response(s.GrantSerializer(page, many=True).data)


# --- packages ---------------------------------------------------------------------------------
class PackageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Access you may ask for; ``check`` shows conflicting duties first, ``request`` asks."""

    serializer_class = s.PackageSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_field = "slug"
    ordering_fields = ["id", "name"]
    search_fields = ["name", "description"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return AccessPackage.objects.none()
        # The audience is decided per package in Python; the list is then a queryset again so
        # it pages like every other list.
        ids = [p.pk for p in selectors.packages_for(self.request.user)]
        return AccessPackage.objects.filter(pk__in=ids).prefetch_related(
            "entitlements__application"
        )

    def _package(self, slug) -> AccessPackage:
        # Someone may ask for a package on behalf of a report who is in its audience when they
        # are not; whether the person it is for may have it is the service's to answer.
        return get_object_or_404(AccessPackage.objects.filter(active=True), slug=slug)

    def _person(self, data):
        return services.requested_for_checked(self.request.user, data.get("requested_for"))

    @extend_schema(request=s.AccessCheckSerializer, responses=s.CheckResultSerializer)
    @action(detail=True, methods=["post"])
    def check(self, request, slug=None):
        """The conflicting duties asking would create, with why, and whether they block it."""
        package = self._package(slug)
        data = _given(s.AccessCheckSerializer, request)
        person = self._person(data)
        if not selectors.may_request(package, person):
            raise NotPermitted(f"{package.name} is not something {person} may ask for.")
        conflicts = services.request_check(
            actor=request.user,
            package=package,
            requested_for=person,
            valid_from=data.get("valid_from"),
            valid_to=data.get("valid_to"),
        )
        rows = [s.conflict_data(c) for c in conflicts]
        return Response({"conflicts": rows, "blocked": any(row["blocks"] for row in rows)})

    @extend_schema(request=s.AccessOrderSerializer, responses={201: s.AccessRequestSerializer})
    @action(detail=True, methods=["post"], url_path="request", url_name="request")
    def request_access(self, request, slug=None):
        """Ask for it: an access request (ACC) whose approvals, then grants, follow."""
        package = self._package(slug)
        data = _given(s.AccessOrderSerializer, request)
        made = services.access_request_submit(
            actor=request.user,
            package=package,
            requested_for=data.get("requested_for"),
            justification=data["justification"],
            valid_from=data.get("valid_from"),
            valid_to=data.get("valid_to"),
            answers=data["answers"],
            sod_exception=data["sod_exception"],
            sod_exception_until=data.get("sod_exception_until"),
            channel_label="the API",
        )
        made = selectors.requests_visible(request.user).get(pk=made.pk)
        return Response(s.AccessRequestSerializer(made).data, status=status.HTTP_201_CREATED)


# --- requests ---------------------------------------------------------------------------------
class AccessRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Access requests (ACC) you made, are for you, or, as the desk, may see."""

    serializer_class = s.AccessRequestSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = f.AccessRequestFilterSet
    lookup_field = "number"
    search_fields = ["number", "short_description"]
    ordering_fields = ["id", "opened_at"]

    def get_queryset(self):
        return (
            selectors.requests_visible(self.request.user)
            .select_related("package", "caller", "requested_for")
            .prefetch_related("grants__entitlement__application")
        )

    def get_object(self):
        # Numbers are shown upper case; people type them as they like.
        self.kwargs["number"] = self.kwargs["number"].upper()
        return super().get_object()

    @extend_schema(request=s.AccessReasonSerializer, responses=s.AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        """Withdraw an open request with a reason; what it granted already ends."""
        found = self.get_object()
        data = _given(s.AccessReasonSerializer, request)
        services.access_request_cancel(actor=request.user, request=found, reason=data["reason"])
        return Response(s.AccessRequestSerializer(self.get_queryset().get(pk=found.pk)).data)


# --- grants -----------------------------------------------------------------------------------
class GrantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Who holds what, since when, why and approved by whom; access managers grant directly."""

    serializer_class = s.GrantSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = f.GrantFilterSet
    ordering_fields = ["id", "valid_from"]
    search_fields = ["holder__username", "entitlement__name", "entitlement__application__name"]

    def get_queryset(self):
        return selectors.grants_visible(self.request.user).select_related("granted_by", "ended_by")

    @extend_schema(request=s.GrantCreateSerializer, responses={201: s.GrantSerializer})
    def create(self, request):
        """Grant without a request: a rule, a birthright, or a migration from a directory."""
        if not selectors.may_manage_access(request.user):
            raise NotPermitted("Only access managers grant access directly.")
        data = _given(s.GrantCreateSerializer, request)
        grant = services.grant_create(actor=request.user, **data)
        return Response(
            s.GrantSerializer(self.get_queryset().get(pk=grant.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=s.AccessReasonSerializer, responses=s.GrantSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """End it now, with a reason (its owner or an access manager); again does nothing."""
        grant = self.get_object()
        data = _given(s.AccessReasonSerializer, request)
        services.grant_revoke(actor=request.user, grant=grant, reason=data["reason"])
        return Response(s.GrantSerializer(self.get_queryset().get(pk=grant.pk)).data)


# --- provisioning -----------------------------------------------------------------------------
class ProvisioningStepViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Each change written to a directory (or done by hand), with its attempts and errors."""

    serializer_class = s.ProvisioningStepSerializer
    permission_classes = [permissions.IsAuthenticated, SeesAccessDesk]
    filterset_class = f.ProvisioningStepFilterSet
    ordering_fields = ["id", "next_attempt_at"]

    def get_queryset(self):
        return ProvisioningStep.objects.select_related(
            "grant__entitlement__application", "person", "target", "done_by"
        )

    @extend_schema(request=None, responses=s.ProvisioningStepSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Try a failed step again now (access managers)."""
        step = services.provisioning_retry(actor=request.user, step=self.get_object())
        return Response(s.ProvisioningStepSerializer(self.get_queryset().get(pk=step.pk)).data)

    @extend_schema(request=s.ProvisioningNoteSerializer, responses=s.ProvisioningStepSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        """The owner team did by hand what no connector could."""
        step = self.get_object()
        data = _given(s.ProvisioningNoteSerializer, request)
        services.manual_step_done(actor=request.user, step=step, note=data["note"])
        return Response(s.ProvisioningStepSerializer(self.get_queryset().get(pk=step.pk)).data)


# --- reviews ----------------------------------------------------------------------------------
class CampaignViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Access reviews: access managers see and run them all, an owner their own."""

    serializer_class = s.CampaignSerializer
    permission_classes = [permissions.IsAuthenticated]
    ordering_fields = ["id", "deadline"]
    search_fields = ["name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return ReviewCampaign.objects.none()
        qs = ReviewCampaign.objects.select_related("owner").prefetch_related(
            "scope_applications", "scope_packages", "named_reviewers"
        )
        if not selectors.may_manage_access(self.request.user):
            # Someone who owns a campaign (a manager confirming a mover's access) runs it.
            qs = qs.filter(owner=self.request.user)
        return qs.annotate(
            items_count=Count("items", distinct=True),
            decided_count=Count("items", filter=~Q(items__decision=""), distinct=True),
        )

    def _campaign(self, campaign) -> dict:
        return s.CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data

    @extend_schema(request=s.CampaignCreateSerializer, responses={201: s.CampaignSerializer})
    def create(self, request):
        if not selectors.may_manage_access(request.user):
            raise NotPermitted("Only access managers run access reviews.")
        data = _given(s.CampaignCreateSerializer, request)
        made = reviews.campaign_create(actor=request.user, **data)
        return Response(self._campaign(made), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.CampaignStartedSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Send the first stage's items to their reviewers."""
        campaign = self.get_object()
        made = reviews.campaign_start(actor=request.user, campaign=campaign)
        return Response({"campaign": self._campaign(campaign), "items": made})

    @extend_schema(request=None, responses=s.CampaignClosedSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Stop taking decisions; the no-answer policy decides what is left."""
        campaign = self.get_object()
        closed = reviews.campaign_close(actor=request.user, campaign=campaign)
        return Response({"campaign": self._campaign(campaign), **closed})

    @extend_schema(responses=s.DryRunChangeSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        url_path="dry-run",
        url_name="dry-run",
        pagination_class=None,
        filter_backends=[],
    )
    def dry_run(self, request, pk=None):
        """Exactly which grants applying the decisions taken so far would end or shorten."""
        campaign = self.get_object()
        labels = dict(Decision.choices)
        rows = [
            {
                "grant": change["grant"],
                "review_item": change["item"].pk,
                "decision": change["decision"],
                "decision_label": labels[change["decision"]],
                "ends_at": change["ends_at"],
                "comment": change["item"].comment,
            }
            for change in reviews.campaign_dry_run(campaign)
        ]
        return Response(s.DryRunChangeSerializer(rows, many=True).data)

    @extend_schema(request=None, responses=s.CampaignAppliedSerializer)
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """End and shorten what the reviewers refused, in one audited batch."""
        campaign = self.get_object()
        done = reviews.campaign_apply(actor=request.user, campaign=campaign)
        return Response({"campaign": self._campaign(campaign), **done})

    @extend_schema(responses=s.CampaignProgressSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def progress(self, request, pk=None):
        """Per reviewer: how many items, how many decided."""
        rows = reviews.campaign_progress(self.get_object())
        return Response(s.CampaignProgressSerializer(rows, many=True).data)


class ReviewItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your review items (``?reviewer=`` or ``?campaign=`` for a campaign you run); decide or
    hand them to someone else."""

    serializer_class = s.ReviewItemSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = f.ReviewItemFilterSet
    ordering_fields = ["id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return ReviewItem.objects.none()
        user = self.request.user
        qs = ReviewItem.objects.select_related(
            "campaign",
            "grant__holder",
            "grant__entitlement__application",
            "reviewer",
            "decided_by",
            "delegated_from",
        )
        if not selectors.may_manage_access(user):
            qs = qs.filter(Q(reviewer=user) | Q(delegated_from=user) | Q(campaign__owner=user))
        if self.action == "list" and not {"reviewer", "campaign"} & set(self.request.query_params):
            qs = qs.filter(reviewer=user)
        return qs

    def _answer(self, item):
        return Response(s.ReviewItemSerializer(self.get_queryset().get(pk=item.pk)).data)

    @extend_schema(request=s.DecideSerializer, responses=s.ReviewItemSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Keep, revoke (say why) or shorten (give the new end); only until the deadline."""
        item = self.get_object()
        data = _given(s.DecideSerializer, request)
        reviews.review_decide(actor=request.user, item=item, **data)
        return self._answer(item)

    @extend_schema(request=s.DelegateSerializer, responses=s.ReviewItemSerializer)
    @action(detail=True, methods=["post"])
    def delegate(self, request, pk=None):
        """Hand the decision to someone else, with a reason."""
        item = self.get_object()
        data = _given(s.DelegateSerializer, request)
        reviews.review_delegate(actor=request.user, item=item, **data)
        return self._answer(item)


# --- segregation of duties --------------------------------------------------------------------
class ViolationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """People found holding both sides of a segregation-of-duties rule."""

    serializer_class = s.ViolationSerializer
    permission_classes = [permissions.IsAuthenticated, SeesAccessDesk]
    filterset_class = f.ViolationFilterSet
    ordering_fields = ["id", "found_at"]

    def get_queryset(self):
        return SodViolation.objects.select_related("rule", "person").prefetch_related(
            "grants__entitlement__application"
        )

    @extend_schema(request=None, responses=s.ScanResultSerializer)
    @action(
        detail=False,
        methods=["post"],
        permission_classes=[permissions.IsAuthenticated, ManagesAccess],
        filterset_class=None,
    )
    def scan(self, request):
        """Look for conflicts now (the nightly scan, on demand; access managers)."""
        return Response(s.ScanResultSerializer(services.sod_scan()).data)


# --- leavers ----------------------------------------------------------------------------------
class PersonViewSet(viewsets.GenericViewSet):
    """A person's access as a whole; ``leave`` processes a leaver at once."""

    permission_classes = [permissions.IsAuthenticated, ManagesAccess]
    serializer_class = s.LeaverSerializer
    queryset = User.objects.all()
    lookup_field = "username"
    lookup_value_regex = USERNAME
    filter_backends: list = []

    @extend_schema(request=s.AccessReasonSerializer, responses=s.LeaverSerializer)
    @action(detail=True, methods=["post"])
    def leave(self, request, username=None):
        """Everything they hold ends in one batch, their accounts are disabled in the
        directories, and their opsdesk sessions and tokens end."""
        person = self.get_object()
        data = _given(s.AccessReasonSerializer, request)
        event = services.person_leave_now(actor=request.user, person=person, why=data["reason"])
        event.grants_ended = person.access_grants.filter(
            end_reason=EndReason.LEAVER, ended_at__gte=event.created_at
        ).count()
        return Response(s.LeaverSerializer(event).data)
