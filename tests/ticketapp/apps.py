from django.apps import AppConfig


class TicketAppConfig(AppConfig):
    name = "tests.ticketapp"
    label = "ticketapp"
    verbose_name = "Work orders (test record type)"

    def ready(self):
        from tests.ticketapp.models import register_work_orders

        register_work_orders()
