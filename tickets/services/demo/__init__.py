"""Demo data: staff logins, teams, customers in Thai and English, and tickets on
every channel, in every status, with conversations whose KPI facts match their
messages.

- `people`: the staff logins, teams and the demo's calendar;
- `showcase`: a handful of contacts sent through the real pipeline;
- `phrases`, `files`: what the conversations say and attach;
- `generator`, `writers`, `bulk`: the bulk tickets for `seed_demo --tickets N`;
- `canned`, `surveys`: canned responses and macros, survey answers and chat sessions.
"""

from tickets.services.demo.bulk import SeedSummary, demo_derived_data_rebuild, demo_seed
from tickets.services.demo.people import demo_calendar_ensure, demo_logins, demo_users_ensure
from tickets.services.demo.phrases import TOPICS

__all__ = [
    "TOPICS",
    "SeedSummary",
    "demo_calendar_ensure",
    "demo_derived_data_rebuild",
    "demo_logins",
    "demo_seed",
    "demo_users_ensure",
]
