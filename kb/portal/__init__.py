"""The customer help portal at /portal/: passwordless sign-in, the customer's own
tickets on every channel, new requests with knowledge-base deflection, and the
customer's privacy rights (data export)."""
