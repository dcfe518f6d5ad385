"""Who works in the demo: the staff logins with their known passwords, the teams,
the calendar the demo answers on, and the portal customer's sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tickets.models import AgentProfile, Role, Team
from tickets.models.sla import BusinessCalendar, BusinessHours

User = get_user_model()

PORTAL_EMAIL = "somchai@example.com"


@dataclass(frozen=True, kw_only=True)
class DemoUser:
    username: str
    password: str
    first_name: str
    last_name: str
    thai_name: str
    role: str
    in_training: bool = False
    teams: tuple[str, ...] = ()
    note: str = ""


TEAMS = ("Billing", "Technical", "ทีมขาย")

DEMO_USERS = (
    DemoUser(username="agent", password="agent", first_name="Ploy", last_name="Srisuk", thai_name="พลอย",
             role=Role.AGENT, teams=("Billing", "Technical")),
    DemoUser(username="trainee", password="trainee", first_name="Nat", last_name="Wongsa", thai_name="ณัฐ",
             role=Role.AGENT, in_training=True, teams=("Billing",), note="in training: replies wait for approval"),
    DemoUser(username="malee", password="malee", first_name="Malee", last_name="Jaingam", thai_name="มาลี",
             role=Role.AGENT, teams=("ทีมขาย", "Billing")),
    DemoUser(username="james", password="james", first_name="James", last_name="Miller", thai_name="เจมส์",
             role=Role.AGENT, teams=("Technical",)),
    DemoUser(username="supervisor", password="supervisor", first_name="Kanya", last_name="Chaiyo",
             thai_name="กัญญา", role=Role.SUPERVISOR, teams=TEAMS),
    DemoUser(username="admin", password="admin", first_name="Admin", last_name="", thai_name="แอดมิน",
             role=Role.ADMIN, teams=TEAMS),
)  # fmt: skip

# Who works the bulk tickets, and how much of it.
AGENT_WEIGHTS = {"agent": 35, "malee": 25, "james": 25, "trainee": 15}


@dataclass(frozen=True)
class DemoLogin:
    label: str
    path: str
    username: str
    password: str | None
    note: str = ""


def demo_logins() -> list[DemoLogin]:
    """The sign-ins the demo offers; the portal's is passwordless."""
    logins = []
    for user in DEMO_USERS:
        label = {Role.AGENT: "Agent", Role.SUPERVISOR: "Supervisor", Role.ADMIN: "Admin"}[user.role]
        path = "/admin/" if user.role == Role.ADMIN else "/console/"
        logins.append(DemoLogin(label, path, user.username, user.password, user.note))
    logins.append(DemoLogin("Customer", "/portal/", PORTAL_EMAIL, None, "passwordless sign-in"))
    return logins


def demo_users_ensure() -> dict[str, object]:
    """Creates the teams and the staff users with their known passwords. Existing
    users keep their passwords."""
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in TEAMS}
    groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
    users = {}
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": f"{spec.username}@helpdesk.example.com",
                "is_staff": spec.role == Role.ADMIN,
                "is_superuser": spec.role == Role.ADMIN,
            },
        )
        if created:
            user.set_password(spec.password)
            user.save(update_fields=["password"])
        user.groups.add(groups[spec.role])
        profile, _ = AgentProfile.objects.get_or_create(user=user, defaults={"in_training": spec.in_training})
        profile.teams.add(*(teams[name] for name in spec.teams))
        users[spec.username] = user
    return {"teams": teams, "users": users}


def demo_calendar_ensure() -> None:
    """The demo answers around the clock, so that the live chat is open whenever
    someone tries it: a default calendar open every day, all day, unless the
    helpdesk already has a default calendar."""
    if BusinessCalendar.objects.filter(is_default=True).exists():
        return
    calendar, _ = BusinessCalendar.objects.get_or_create(name="Around the clock", defaults={"is_default": True})
    # TimeField has no 24:00; the next day opens at 00:00 a microsecond later.
    BusinessHours.objects.bulk_create(
        BusinessHours(calendar=calendar, weekday=weekday, opens=time.min, closes=time.max) for weekday in range(7)
    )
