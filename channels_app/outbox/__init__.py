"""The dev outbox: with no real provider configured, outbound email, SMS and
WhatsApp are "delivered" to a table that the console shows (as MailHog does for
mail), so that a fresh clone can follow every link and see every send. A real
provider takes over as soon as its settings are set."""
