"""Mounted at the site's root: the requester's pages under portal/access/, the desk's under
access/."""

from django.urls import path

from opsdesk.access.views import desk, directories, portal

app_name = "access"

urlpatterns = [
    path("portal/access/", portal.packages, name="portal-packages"),
    path("portal/access/mine/", portal.my_access, name="my-access"),
    path("portal/access/reviews/", portal.my_reviews, name="my-reviews"),
    path("portal/access/reviews/<int:pk>/", portal.review_decide, name="review-decide"),
    path("portal/access/requests/<str:number>/", portal.portal_request, name="portal-request"),
    path("portal/access/requests/<str:number>/cancel/", portal.portal_cancel, name="portal-cancel"),
    path("portal/access/<slug:slug>/", portal.order, name="portal-order"),
    path("access/", desk.home, name="home"),
    path("access/grants/", desk.grants, name="grants"),
    path("access/grants/<int:pk>/revoke/", desk.grant_revoke, name="grant-revoke"),
    path("access/provisioning/", desk.provisioning, name="provisioning"),
    path("access/provisioning/<int:pk>/<slug:action>/", desk.step_action, name="step-action"),
    path("access/people/<str:username>/", desk.person, name="person"),
    path("access/people/<str:username>/leave/", desk.person_leave, name="person-leave"),
    path("access/directories/", directories.targets, name="targets"),
    path("access/directories/<int:pk>/", directories.target, name="target"),
    path("access/directories/<int:pk>/fix/", directories.target_fix, name="target-fix"),
    path("access/violations/", desk.violations, name="violations"),
    path("access/violations/scan/", desk.violations_scan, name="violations-scan"),
    path("access/reviews/", desk.campaigns, name="campaigns"),
    path("access/reviews/<int:pk>/", desk.campaign, name="campaign"),
    path("access/reviews/<int:pk>/evidence.csv", desk.campaign_evidence, name="campaign-evidence"),
    path("access/reviews/<int:pk>/<slug:action>/", desk.campaign_action, name="campaign-action"),
    path("access/requests/<str:number>/", desk.request_detail, name="request-detail"),
]
