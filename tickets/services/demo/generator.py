"""The bulk demo's conversations: customers with their addresses on every channel,
and tickets whose messages, activities and KPI facts (first inbound, first
response, replies counted, resolution, reopens, business seconds) agree, as the
services would have recorded them. Only plain objects are built here; the
writers in `tickets.services.demo.writers` store them."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from tickets.models import Channel, ContactIdentity, Customer, Direction, Message, Ticket, TicketActivity
from tickets.services.demo.files import DemoFile
from tickets.services.demo.people import AGENT_WEIGHTS, DEMO_USERS
from tickets.services.demo.phrases import (
    AUTO_ACK,
    CHASERS,
    EMAIL_DOMAINS,
    EN_FIRST,
    EN_LAST,
    NOTES,
    REOPENERS,
    THAI_FIRST,
    THAI_LAST,
    THANKS,
    TOPICS,
)
from tickets.services.demo.plan import HISTORY_DAYS, MESSAGING_SHARE, RESERVED_PHONES, STATUS_PLAN, Person, Story
from tickets.services.demo.rows import RowFactory
from tickets.services.sla import CalendarSpec, business_seconds_between

Status = Ticket.Status
Delivery = Message.DeliveryStatus
_new_customer = RowFactory(Customer)
_new_identity = RowFactory(ContactIdentity)
_new_ticket = RowFactory(Ticket)
_new_message = RowFactory(Message, set_later=("idempotency_key",))
_new_activity = RowFactory(TicketActivity)


class StoryGenerator:
    def __init__(self, *, rng: random.Random, now: datetime, users: dict, teams: dict, files: list[DemoFile],
                 messages_per_ticket: float, calendar: CalendarSpec, history_days: int = HISTORY_DAYS) -> None:  # fmt: skip
        self.rng = rng
        self.now = now
        self.users = users
        self.teams = teams
        self.files = files
        self.messages_per_ticket = max(1.0, messages_per_ticket)
        self.agent_names = list(AGENT_WEIGHTS)
        self.agent_weights = list(AGENT_WEIGHTS.values())
        self.thai_names = {spec.username: spec.thai_name for spec in DEMO_USERS}
        self.calendar = calendar
        self.stretch = history_days / HISTORY_DAYS

    def uid(self) -> str:
        return f"{self._uuid4_int():032x}"

    def _uuid4_int(self) -> int:
        """A random version-4 UUID as an int: what `uuid.UUID(int=..., version=4)` makes
        of the same bits, without building the object."""
        bits = self.rng.getrandbits(128) & ~(0xC000 << 48) & ~(0xF000 << 64)
        return bits | (0x8000 << 48) | (4 << 76)

    # Customers ---------------------------------------------------------------------------

    def customer(self, index: int) -> tuple[Customer, Person, list[ContactIdentity]]:
        rng = self.rng
        thai = rng.random() < 0.7
        if thai:
            (first, first_roman), (last, last_roman) = rng.choice(THAI_FIRST), rng.choice(THAI_LAST)
            name, language = f"{first} {last}", "th"
        else:
            first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
            first_roman, last_roman, name, language = first.lower(), last.lower(), f"{first} {last}", "en"
        roll = rng.random()
        tier = Customer.Tier.VIP if roll < 0.05 else Customer.Tier.PREMIUM if roll < 0.2 else Customer.Tier.STANDARD
        has_email = rng.random() < 0.75
        has_phone = rng.random() < 0.7 or not has_email
        email = phone = chat = None
        if has_email:
            local = f"{first_roman}.{last_roman}{index}"
            domain = rng.choice(EMAIL_DOMAINS)
            # A few write from a plus-address; it is found by its base address.
            email = f"{local}+shop@{domain}" if rng.random() < 0.03 else f"{local}@{domain}"
        if has_phone:
            # A bijection of the index onto 8 digits: unique numbers that do not look sequential.
            digits = f"{(index * 48271 + 13) % 10**8:08d}"
            phone = f"+66{rng.choice('689')}{digits}"
            if phone in RESERVED_PHONES:
                phone = f"+666{digits}"
        if rng.random() < 0.3:
            chat = f"v-{self.uid()[:20]}"
        messaging = {}
        for channel, share in MESSAGING_SHARE.items():
            if rng.random() < share:
                uid = self.uid()
                messaging[channel] = f"U{uid}" if channel == Channel.LINE else str(int(uid[:13], 16))
        anonymous = not email and rng.random() < 0.3
        customer = _new_customer(
            name="" if anonymous else name, tier=tier, language=language, created_at=self.now - timedelta(days=365)
        )
        identities = []
        for kind, address in (
            (ContactIdentity.Kind.EMAIL, email), (ContactIdentity.Kind.PHONE, phone), (ContactIdentity.Kind.CHAT, chat),
            *((ContactIdentity.Kind(channel), user_id) for channel, user_id in messaging.items()),
        ):  # fmt: skip
            if address:
                lookup = address
                if kind == ContactIdentity.Kind.EMAIL:
                    local, domain = address.split("@")
                    lookup = f"{local.split('+')[0]}@{domain}"
                identities.append(_new_identity(kind=kind, address=address, lookup_key=lookup, verified=True))
        person = Person(0, name, first, language, tier == Customer.Tier.VIP, email, phone, chat, messaging)
        return customer, person, identities

    # Tickets -----------------------------------------------------------------------------

    def _message_count(self) -> int:
        # 1 + a binomial around the average: most tickets near it, a few long threads.
        extra = self.messages_per_ticket - 1
        trials = max(1, int(extra * 2 + 0.999))
        p = extra / trials
        return 1 + sum(1 for _ in range(trials) if self.rng.random() < p)

    def _external_id(self, channel: str) -> str:
        if channel == Channel.EMAIL:
            return f"<{self.uid()}@mail.example.com>"
        if channel == Channel.CHAT:
            return str(uuid.UUID(self.uid()))
        if channel == Channel.LINE:
            return str(int(self.uid()[:15], 16))
        if channel in (Channel.MESSENGER, Channel.INSTAGRAM):
            return "m_" + self.uid()
        return "SM" + self.uid()

    def _fill(self, template: str, person: Person, agent: str, values: dict[str, str]) -> str:
        return template.format(name=person.first, agent=agent, **values)

    def _wrap_email(self, text: str, *, person: Person, inbound: bool, agent_name: str) -> str:
        th = person.language == "th"
        if inbound:
            greeting, closing = ("สวัสดีค่ะ", "ขอบคุณค่ะ") if th else ("Hello,", "Thanks,")
            return f"{greeting}\n\n{text}\n\n{closing}\n{person.name or person.first}"
        if th:
            return f"สวัสดีค่ะ คุณ{person.first}\n\n{text}\n\nขอบคุณค่ะ\n{agent_name}\nทีมดูแลลูกค้า"
        return f"Hi {person.first},\n\n{text}\n\nBest regards,\n{agent_name}\nCustomer Care"

    def story(self, person: Person, channel: str, status: str) -> Story:
        rng = self.rng
        topic = rng.choice(TOPICS)
        lang = person.language
        values = {
            "order": f"#A{rng.randint(10000, 99999)}",
            "amount": f"{rng.choice([299, 599, 890, 1290, 2450, 4990]):,}",
            "tracking": f"{rng.randint(10**9, 10**10 - 1)}",
            "last4": (person.phone or "+6600000000")[-4:],
        }
        agent_username = rng.choices(self.agent_names, self.agent_weights)[0]
        agent = self.users[agent_username]
        agent_display = self.thai_names[agent_username] if lang == "th" else agent.first_name
        count = self._message_count()
        if status != Status.NEW:
            count = max(count, 2)
        agent_initiated = status in (Status.OPEN, Status.RESOLVED) and channel != Channel.CHAT and rng.random() < 0.03
        reopened = status in (Status.OPEN, Status.RESOLVED, Status.CLOSED) and count >= 4 and rng.random() < 0.12

        # The shape of the conversation: who speaks in each slot.
        kinds: list[str] = []
        if status == Status.NEW:
            kinds = ["in"] * count
        else:
            kinds = ["out" if agent_initiated else "in"]
            if channel == Channel.EMAIL and not agent_initiated and count >= 3 and rng.random() < 0.6:
                kinds.append("auto")
            while len(kinds) < count:
                previous = next(k for k in reversed(kinds) if k != "note" and k != "auto")
                roll = rng.random()
                if roll < 0.1 and len(kinds) > 1:
                    kinds.append("note")
                elif roll < 0.22:
                    kinds.append(previous)  # a second message in a row (the customer chasing, say)
                else:
                    kinds.append("in" if previous == "out" else "out")
            if status in (Status.PENDING, Status.RESOLVED, Status.CLOSED) and kinds[-1] != "out":
                kinds[-1] = "out"
            if kinds.count("out") == 0 and status != Status.NEW:
                kinds[-1] = "out"
        reopen_at_slot = None
        if reopened:
            # Resolved after an agent reply, reopened by the customer's next message.
            candidates = [i for i in range(1, len(kinds) - 1) if kinds[i] == "out" and kinds[i + 1] == "in"]
            reopen_at_slot = rng.choice(candidates) if candidates else None

        # When each slot happens, as offsets in seconds from the first message.
        fast = channel == Channel.CHAT
        offsets, t = [], 0.0
        for i, kind in enumerate(kinds):
            if i:
                if kind == "auto":
                    t += rng.uniform(2, 20)
                elif kind == "out":
                    median = 90 if fast else (2400 if channel == Channel.EMAIL else 900)
                    t += min(rng.lognormvariate(0, 1.0) * median, 2 * 86400)
                elif kind == "note":
                    t += rng.uniform(30, 1800)
                else:
                    t += rng.uniform(20, 300) if fast else rng.uniform(300, 36 * 3600)
                if i - 1 == reopen_at_slot:
                    t += rng.uniform(3600, 4 * 86400)  # the customer comes back later
            offsets.append(t)
        resolve_delay = rng.uniform(10, 3600)
        close_delay = rng.uniform(3 * 86400, 7 * 86400) if status == Status.CLOSED else 0
        span = offsets[-1] + resolve_delay + close_delay
        _, min_age, max_age = STATUS_PLAN[status]
        if status in (Status.RESOLVED, Status.CLOSED):
            max_age *= self.stretch
        age = rng.uniform(min_age * 86400, max_age * 86400) + span + rng.uniform(60, 3600)
        start = self.now - timedelta(seconds=age)

        priority = Ticket.Priority.HIGH if person.vip else rng.choices([1, 2, 3, 4], [15, 60, 20, 5])[0]
        assigned = status != Status.NEW or rng.random() < 0.3
        subject = self._fill(rng.choice(topic.subjects[lang]), person, agent_display, values)
        ticket = _new_ticket(
            subject=subject if channel == Channel.EMAIL else "",
            status=status,
            priority=priority,
            channel=channel,
            customer_id=person.customer_id,
            team=self.teams[topic.team] if assigned or rng.random() < 0.5 else None,
            assignee=agent if assigned else None,
            agent_initiated=agent_initiated,
            created_at=start,
        )
        story = Story(ticket=ticket, person=person)
        story.tags = tuple(tag for tag in topic.tags if rng.random() < 0.6) + (("vip",) if person.vip else ())

        sender_first = True
        replies_said = 0
        for i, (kind, offset) in enumerate(zip(kinds, offsets, strict=True)):
            at = start + timedelta(seconds=offset)
            if kind == "in":
                if sender_first:
                    text = self._fill(rng.choice(topic.openers[lang]), person, agent_display, values)
                    sender_first = False
                elif reopen_at_slot is not None and i == reopen_at_slot + 1:
                    text = rng.choice(REOPENERS[lang])
                elif status in (Status.RESOLVED, Status.CLOSED) and i == len(kinds) - 2 and rng.random() < 0.5:
                    text = rng.choice(THANKS[lang])
                elif kinds[i - 1] == "in" and rng.random() < 0.6:
                    text = rng.choice(CHASERS[lang])
                else:
                    text = self._fill(rng.choice(topic.follow_ups[lang]), person, agent_display, values)
                if channel == Channel.EMAIL and i == 0:
                    text = self._wrap_email(text, person=person, inbound=True, agent_name=agent_display)
                message = _new_message(
                    customer_id=person.customer_id, channel=channel, direction=Direction.IN, text=text,
                    external_id=self._external_id(channel), created_at=at,
                )  # fmt: skip
                if rng.random() < 0.05:
                    story.attachments.append((len(story.messages), rng.choice(self.files)))
            elif kind == "auto":
                message = _new_message(
                    customer_id=person.customer_id, channel=channel, direction=Direction.OUT,
                    text=AUTO_ACK[lang], is_automatic=True, external_id=self._external_id(channel),
                    delivery_status=Delivery.SENT, created_at=at,
                )  # fmt: skip
            elif kind == "note":
                author = self.users["supervisor"] if rng.random() < 0.3 else agent
                message = _new_message(
                    customer_id=person.customer_id, channel=channel, direction=Direction.NOTE,
                    author=author, text=rng.choice(NOTES), created_at=at,
                )  # fmt: skip
            else:
                last = i == len(kinds) - 1
                if agent_initiated and i == 0:
                    text = self._fill(rng.choice(topic.replies[lang]), person, agent_display, values)
                elif last and status in (Status.RESOLVED, Status.CLOSED):
                    text = self._fill(rng.choice(topic.solutions[lang]), person, agent_display, values)
                else:
                    pool = topic.replies[lang]
                    text = self._fill(pool[replies_said % len(pool)], person, agent_display, values)
                replies_said += 1
                if channel == Channel.EMAIL:
                    text = self._wrap_email(text, person=person, inbound=False, agent_name=agent_display)
                delivery = Delivery.DELIVERED if channel in (Channel.EMAIL, Channel.SMS) else Delivery.READ
                error_code = ""
                if channel in (Channel.SMS, Channel.WHATSAPP) and rng.random() < 0.02:
                    delivery, error_code = Delivery.UNDELIVERED, "30003"
                if last and status == Status.OPEN and agent_username == "trainee" and rng.random() < 0.5:
                    delivery = Delivery.AWAITING_APPROVAL
                message = _new_message(
                    customer_id=person.customer_id, channel=channel, direction=Direction.OUT, author=agent, text=text,
                    external_id=None if delivery == Delivery.AWAITING_APPROVAL else self._external_id(channel),
                    delivery_status=delivery, delivery_error_code=error_code,
                    delivered_at=at + timedelta(seconds=3) if delivery in (Delivery.DELIVERED, Delivery.READ) else None,
                    read_at=at + timedelta(seconds=rng.uniform(5, 600)) if delivery == Delivery.READ else None,
                    created_at=at,
                )  # fmt: skip
            message.idempotency_key = uuid.UUID(int=self._uuid4_int())
            story.messages.append(message)

        if channel != Channel.EMAIL:
            # As the pipeline does: a chat or SMS ticket is named after its first words.
            ticket.subject = " ".join(story.messages[0].text.split())[:80]
        self._record_kpis(story, kinds, offsets, reopen_at_slot, resolve_delay, close_delay)
        return story

    def _record_kpis(self, story: Story, kinds, offsets, reopen_at_slot, resolve_delay, close_delay) -> None:
        """The facts the services record as they happen, computed from the messages."""
        ticket, messages = story.ticket, story.messages
        start = ticket.created_at
        inbound = [m for m in messages if m.direction == Direction.IN]
        replies = [
            m for m in messages
            if m.direction == Direction.OUT and not m.is_automatic and m.delivery_status != Delivery.AWAITING_APPROVAL
        ]  # fmt: skip
        ticket.first_inbound_at = inbound[0].created_at if inbound else None
        ticket.last_inbound_at = inbound[-1].created_at if inbound else None
        ticket.agent_reply_count = len(replies)
        # The FCR fact as the definition gives it for one reply; a chat resolved in its
        # session with more, and the repeat contacts, are left to the rebuild after the load.
        ticket.fcr_one_contact = len(replies) == 1
        ticket.last_agent_reply_at = replies[-1].created_at if replies else None
        if replies and ticket.first_inbound_at and not ticket.agent_initiated:
            first = next((m for m in replies if m.created_at >= ticket.first_inbound_at), None)
            if first is not None:
                ticket.first_response_at = first.created_at
                ticket.first_response_s = int((first.created_at - ticket.first_inbound_at).total_seconds())
                ticket.first_response_business_s = business_seconds_between(
                    self.calendar, ticket.first_inbound_at, first.created_at
                )
        last_at = messages[-1].created_at
        ticket.updated_at = last_at
        actor = ticket.assignee
        activities = [
            _new_activity(kind=TicketActivity.Kind.CREATED, data={"channel": ticket.channel}, created_at=start)
        ]
        if actor is not None:
            activities.append(
                _new_activity(
                    kind=TicketActivity.Kind.ASSIGNED, actor=self.users["supervisor"],
                    data={"assignee": actor.pk, "team": ticket.team_id}, created_at=start + timedelta(seconds=5),
                )
            )  # fmt: skip
        if reopen_at_slot is not None:
            first_resolved = start + timedelta(seconds=offsets[reopen_at_slot] + 30)
            reopened = messages[reopen_at_slot + 1].created_at
            ticket.resolved_at = first_resolved
            ticket.resolution_s = int((first_resolved - start).total_seconds())
            ticket.reopen_count = 1
            activities += [
                _new_activity(kind=TicketActivity.Kind.STATUS, actor=actor, data={"from": "open", "to": "resolved"},
                               created_at=first_resolved),
                _new_activity(kind=TicketActivity.Kind.REOPENED, data={"reason": "customer replied"}, created_at=reopened),
                _new_activity(kind=TicketActivity.Kind.STATUS, data={"from": "resolved", "to": "open"}, created_at=reopened),
            ]  # fmt: skip
        if ticket.status == Status.PENDING:
            ticket.pending_since = last_at
            activities.append(_new_activity(kind=TicketActivity.Kind.STATUS, actor=actor,
                                             data={"from": "open", "to": "pending"}, created_at=last_at))  # fmt: skip
        if ticket.status in (Status.RESOLVED, Status.CLOSED):
            resolved = last_at + timedelta(seconds=resolve_delay)
            ticket.resolved_at = resolved
            ticket.resolution_s = int((resolved - start).total_seconds())
            ticket.updated_at = resolved
            activities.append(_new_activity(kind=TicketActivity.Kind.STATUS, actor=actor,
                                             data={"from": "open", "to": "resolved"}, created_at=resolved))  # fmt: skip
        if ticket.status == Status.CLOSED:
            ticket.closed_at = ticket.resolved_at + timedelta(seconds=close_delay)
            ticket.updated_at = ticket.closed_at
            activities.append(_new_activity(kind=TicketActivity.Kind.STATUS,
                                             data={"from": "resolved", "to": "closed"}, created_at=ticket.closed_at))  # fmt: skip
        if ticket.resolved_at is not None:
            ticket.resolution_business_s = business_seconds_between(self.calendar, start, ticket.resolved_at)
        story.activities = activities
