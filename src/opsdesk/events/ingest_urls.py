"""Ingest endpoints at fixed paths that monitoring tools expect (Alertmanager, PagerDuty)."""

urlpatterns = []
