"""Erases a customer on their request (PDPA/GDPR): their words, files and addresses
go; anonymous ticket facts stay for the KPIs. Running it again changes nothing."""

from django.core.management.base import BaseCommand, CommandError

from tickets.models import Customer
from tickets.services.privacy import customer_erase


class Command(BaseCommand):
    help = "Erase a customer's personal data (messages, attachments, identities), keeping anonymous KPI facts."

    def add_arguments(self, parser):
        parser.add_argument("customer_id", type=int)

    def handle(self, *args, customer_id: int, **options):
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise CommandError(f"customer {customer_id} does not exist")
        result = customer_erase(customer=customer, actor=None)
        state = "erased" if result.first_erasure else "was already erased; checked again"
        self.stdout.write(
            f"customer {customer_id} {state}: {result.messages} messages emptied, {result.attachments} attachments "
            f"and {result.identities} addresses deleted, {result.events} raw events scrubbed"
        )
