"""Demo data: staff logins, teams, customers in Thai and English, and tickets on
every channel, in every status, with conversations whose KPI facts match their
messages.

Two parts:
- a handful of showcase contacts go through the real pipeline
  (`tickets.services.ingest.ingest`) and the reply service, so they look exactly
  like real traffic;
- the bulk of the tickets is written with `bulk_create` in batches, bypassing the
  pipeline, so that 100k tickets with 1M messages seed in minutes. The bulk rows
  carry the same KPI facts the services would have recorded (first inbound, first
  response, reply count, resolution, reopens), but no InboundEvent rows and no
  realtime events or follow-up tasks.
"""

from __future__ import annotations

import random
import struct
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from tickets.inbound import InboundAttachment, InboundMessage
from tickets.models import (
    AgentProfile,
    Attachment,
    Channel,
    ContactIdentity,
    Customer,
    Direction,
    IdentityClaim,
    Message,
    Role,
    Tag,
    Team,
    Ticket,
    TicketActivity,
)
from tickets.models.sla import BusinessCalendar, BusinessHours
from tickets.services.claims import claim_confirm
from tickets.services.demo_canned import demo_canned_seed
from tickets.services.demo_surveys import demo_surveys_seed
from tickets.services.ingest import ingest
from tickets.services.replies import reply_create

User = get_user_model()
Status = Ticket.Status
Delivery = Message.DeliveryStatus

PORTAL_EMAIL = "somchai@example.com"


# --- Who signs in ------------------------------------------------------------------------


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
_AGENT_WEIGHTS = {"agent": 35, "malee": 25, "james": 25, "trainee": 15}


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


# --- What customers and agents say ---------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Topic:
    key: str
    team: str
    tags: tuple[str, ...]
    subjects: dict[str, tuple[str, ...]]
    openers: dict[str, tuple[str, ...]]
    replies: dict[str, tuple[str, ...]]
    follow_ups: dict[str, tuple[str, ...]]
    solutions: dict[str, tuple[str, ...]]


TOPICS = (
    Topic(
        key="delivery", team="Billing", tags=("delivery", "order"),
        subjects={
            "th": ("สอบถามสถานะคำสั่งซื้อ {order}", "ยังไม่ได้รับสินค้า {order}", "พัสดุล่าช้า"),
            "en": ("Where is my order {order}?", "Order {order} not delivered yet", "Late delivery"),
        },
        openers={
            "th": ("สั่งสินค้าไปตั้งแต่วันจันทร์ คำสั่งซื้อ {order} ยังไม่ได้รับเลยค่ะ ช่วยเช็กให้หน่อยได้ไหมคะ",
                   "ขอเลขพัสดุของคำสั่งซื้อ {order} หน่อยครับ ในแอปยังขึ้นว่ากำลังจัดเตรียม",
                   "พัสดุ {order} ขึ้นว่าจัดส่งแล้วแต่ไม่มีใครได้รับเลยครับ"),
            "en": ("I ordered on Monday and order {order} still hasn't arrived. Can you check?",
                   "Could you send me the tracking number for order {order}? The app still says 'preparing'.",
                   "Tracking for {order} says delivered but nobody here received it."),
        },
        replies={
            "th": ("ตรวจสอบให้แล้วค่ะ คำสั่งซื้อ {order} ออกจากคลังเมื่อวานนี้ เลขพัสดุคือ TH{tracking} คาดว่าจะถึงภายใน 2 วันทำการค่ะ",
                   "ขออภัยในความล่าช้าค่ะ ทางเราได้ประสานกับขนส่งแล้ว จะแจ้งความคืบหน้าภายในวันนี้ค่ะ",
                   "รบกวนยืนยันที่อยู่จัดส่งอีกครั้งได้ไหมคะ ขนส่งแจ้งว่าหาที่อยู่ไม่พบค่ะ"),
            "en": ("I've checked: order {order} left our warehouse yesterday, tracking number TH{tracking}. "
                   "It should arrive within 2 working days.",
                   "Sorry for the delay. We've contacted the courier and will update you today.",
                   "Could you confirm your delivery address? The courier says they couldn't find it."),
        },
        follow_ups={
            "th": ("ที่อยู่ถูกต้องค่ะ 99/12 ซอยสุขุมวิท 24 คลองตัน กรุงเทพฯ 10110", "ตอนนี้ยังไม่ได้รับเลยครับ",
                   "ขอบคุณค่ะ จะรอนะคะ"),
            "en": ("The address is right: 99/12 Sukhumvit Soi 24, Khlong Tan, Bangkok 10110.",
                   "Still nothing here, I'm afraid.", "Thanks, I'll wait."),
        },
        solutions={
            "th": ("ขนส่งยืนยันว่าส่งถึงแล้วเมื่อเช้านี้ค่ะ หากมีปัญหาเพิ่มเติมแจ้งได้ตลอดนะคะ",
                   "ทางเราส่งสินค้าชิ้นใหม่ให้แล้วค่ะ เลขพัสดุ TH{tracking} ขออภัยในความไม่สะดวกค่ะ"),
            "en": ("The courier confirms it was delivered this morning. Let us know if anything else comes up.",
                   "We've sent a replacement, tracking TH{tracking}. Sorry for the trouble."),
        },
    ),
    Topic(
        key="billing", team="Billing", tags=("billing", "invoice"),
        subjects={
            "th": ("ถูกตัดเงินซ้ำสองครั้ง", "ขอใบกำกับภาษีเต็มรูป", "ยอดเรียกเก็บไม่ถูกต้อง"),
            "en": ("Charged twice", "Tax invoice request", "Wrong amount on my bill"),
        },
        openers={
            "th": ("บัตรเครดิตถูกตัดเงิน {amount} บาทสองครั้งสำหรับคำสั่งซื้อ {order} ค่ะ",
                   "ขอใบกำกับภาษีเต็มรูปในนามบริษัทสำหรับคำสั่งซื้อ {order} ได้ไหมครับ",
                   "บิลเดือนนี้เรียกเก็บ {amount} บาท แต่แพ็กเกจของผมราคา 599 บาทครับ"),
            "en": ("My credit card was charged {amount} THB twice for order {order}.",
                   "Can I get a full tax invoice in my company's name for order {order}?",
                   "This month's bill says {amount} THB but my plan is 599 THB."),
        },
        replies={
            "th": ("ขออภัยค่ะ ตรวจพบรายการซ้ำจริง ทางเราได้ยกเลิกรายการที่สองแล้ว เงินจะคืนเข้าบัตรภายใน 7-14 วันค่ะ",
                   "รบกวนส่งชื่อบริษัท ที่อยู่ และเลขประจำตัวผู้เสียภาษี 13 หลักมาได้เลยค่ะ",
                   "ยอดที่เกินมาเป็นค่าบริการเสริมที่เปิดใช้เมื่อวันที่ 3 ค่ะ หากไม่ต้องการ ทางเรายกเลิกและคืนเงินให้ได้ค่ะ"),
            "en": ("Sorry about that: the second charge is a duplicate. We've voided it; the refund reaches "
                   "your card within 7-14 days.",
                   "Please send the company name, address and 13-digit tax ID and we'll issue it.",
                   "The extra amount is an add-on activated on the 3rd. We can cancel and refund it if you like."),
        },
        follow_ups={
            "th": ("บริษัท สยามเทรดดิ้ง จำกัด เลขประจำตัวผู้เสียภาษี 0105551234567 ค่ะ", "ไม่ได้สมัครบริการเสริมเลยครับ ช่วยยกเลิกให้ด้วย",
                   "ได้รับแล้วค่ะ ขอบคุณมาก"),
            "en": ("Siam Trading Co., Ltd., tax ID 0105551234567.", "I never signed up for that, please cancel it.",
                   "Got it, thank you!"),
        },
        solutions={
            "th": ("ส่งใบกำกับภาษีทางอีเมลแล้วค่ะ", "ยกเลิกบริการเสริมและคืนเงิน {amount} บาทเรียบร้อยแล้วค่ะ"),
            "en": ("The tax invoice is in your inbox.", "The add-on is cancelled and {amount} THB refunded."),
        },
    ),
    Topic(
        key="refund", team="Billing", tags=("refund",),
        subjects={
            "th": ("ขอคืนสินค้าและขอเงินคืน", "สินค้าชำรุด ขอเปลี่ยน"),
            "en": ("Return and refund", "Damaged item, need a replacement"),
        },
        openers={
            "th": ("ได้รับสินค้าแล้วแต่กล่องบุบและเครื่องเปิดไม่ติดค่ะ ขอคืนได้ไหมคะ",
                   "ไซซ์ไม่พอดีครับ ขอเปลี่ยนเป็นไซซ์ L ได้ไหม คำสั่งซื้อ {order}"),
            "en": ("The box arrived crushed and the device won't turn on. Can I return it?",
                   "Wrong size. Can I exchange order {order} for a large?"),
        },
        replies={
            "th": ("เสียใจด้วยค่ะ รบกวนถ่ายรูปสินค้าและกล่องส่งมาให้ดูหน่อยนะคะ",
                   "เปลี่ยนได้ค่ะ ทางเราจะส่งขนส่งไปรับสินค้าคืนฟรีภายใน 2 วันค่ะ"),
            "en": ("Sorry to hear that. Could you send photos of the item and the box?",
                   "Yes, we'll send a courier to collect it, free of charge, within 2 days."),
        },
        follow_ups={
            "th": ("แนบรูปมาให้แล้วค่ะ", "สะดวกให้มารับช่วงบ่ายครับ"),
            "en": ("Photos attached.", "Afternoons work best for the pickup."),
        },
        solutions={
            "th": ("อนุมัติคืนเงิน {amount} บาทแล้วค่ะ จะเข้าบัญชีภายใน 5 วันทำการ", "ส่งสินค้าไซซ์ L ให้แล้วค่ะ เลขพัสดุ TH{tracking}"),
            "en": ("Your refund of {amount} THB is approved; expect it within 5 working days.",
                   "Your size L is on its way, tracking TH{tracking}."),
        },
    ),
    Topic(
        key="login", team="Technical", tags=("login", "account"),
        subjects={
            "th": ("เข้าสู่ระบบไม่ได้", "ไม่ได้รับรหัส OTP", "ลืมรหัสผ่าน"),
            "en": ("Can't log in", "OTP code never arrives", "Forgot my password"),
        },
        openers={
            "th": ("เข้าแอปไม่ได้ค่ะ ขึ้นว่ารหัสผ่านไม่ถูกต้องทั้งที่เพิ่งเปลี่ยน", "กดขอ OTP แล้วไม่มี SMS เข้ามาเลยครับ",
                   "ลืมรหัสผ่าน และอีเมลรีเซ็ตไม่เข้าค่ะ"),
            "en": ("I can't log into the app: it says my password is wrong, but I just changed it.",
                   "I request an OTP but no SMS ever comes.", "Forgot my password and the reset email never arrives."),
        },
        replies={
            "th": ("รบกวนลองอัปเดตแอปเป็นเวอร์ชันล่าสุดแล้วเข้าสู่ระบบใหม่อีกครั้งนะคะ",
                   "ตรวจสอบแล้วค่ะ เบอร์ที่ลงทะเบียนไว้คือเบอร์ที่ลงท้ายด้วย {last4} ใช่ไหมคะ",
                   "ส่งลิงก์รีเซ็ตรหัสผ่านใหม่ให้แล้วค่ะ รบกวนเช็กในโฟลเดอร์จดหมายขยะด้วยนะคะ"),
            "en": ("Could you update the app to the latest version and sign in again?",
                   "I see a number ending in {last4} on your account. Is that still yours?",
                   "I've sent a new reset link; please check your spam folder too."),
        },
        follow_ups={
            "th": ("ใช่ค่ะ เบอร์นี้", "อัปเดตแล้วก็ยังเข้าไม่ได้ครับ", "เข้าได้แล้วค่ะ ขอบคุณนะคะ"),
            "en": ("Yes, that's mine.", "Updated, still can't get in.", "I'm in now, thanks!"),
        },
        solutions={
            "th": ("รีเซ็ตการยืนยันตัวตนให้แล้วค่ะ ลองเข้าสู่ระบบได้เลย", "ระบบ SMS ของผู้ให้บริการกลับมาปกติแล้วค่ะ"),
            "en": ("I've reset your verification; you can sign in now.", "The SMS provider is back to normal now."),
        },
    ),
    Topic(
        key="bug", team="Technical", tags=("bug", "app"),
        subjects={
            "th": ("แอปค้างตอนชำระเงิน", "หน้าตะกร้าสินค้าว่างเปล่า"),
            "en": ("App freezes at checkout", "Cart page is empty"),
        },
        openers={
            "th": ("กดชำระเงินแล้วแอปค้าง ต้องปิดเปิดใหม่ทุกครั้งค่ะ ใช้ iPhone 13", "ใส่ของในตะกร้าแล้วหายหมดเลยครับ"),
            "en": ("The app freezes when I tap Pay and I have to restart it. iPhone 13.",
                   "Everything I put in my cart disappears."),
        },
        replies={
            "th": ("ขอบคุณที่แจ้งค่ะ รบกวนแจ้งเวอร์ชันแอปและส่งภาพหน้าจอมาให้ทีมเทคนิคตรวจสอบนะคะ",
                   "ทีมเทคนิคพบสาเหตุแล้วค่ะ กำลังแก้ไขและจะออกอัปเดตเร็ว ๆ นี้"),
            "en": ("Thanks for reporting it. Could you tell us the app version and send a screenshot?",
                   "Our engineers found the cause and a fix is on its way."),
        },
        follow_ups={
            "th": ("เวอร์ชัน 4.12.1 ค่ะ แนบภาพหน้าจอให้แล้ว", "ยังเป็นอยู่เลยครับ"),
            "en": ("Version 4.12.1, screenshot attached.", "Still happening."),
        },
        solutions={
            "th": ("เวอร์ชัน 4.12.2 แก้ปัญหานี้แล้วค่ะ รบกวนอัปเดตแอปนะคะ",),
            "en": ("Version 4.12.2 fixes this; please update the app.",),
        },
    ),
    Topic(
        key="sales", team="ทีมขาย", tags=("sales", "pricing"),
        subjects={
            "th": ("สอบถามราคาแพ็กเกจองค์กร", "ขอใบเสนอราคา"),
            "en": ("Business plan pricing", "Request for a quotation"),
        },
        openers={
            "th": ("บริษัทมีพนักงาน 40 คน สนใจแพ็กเกจองค์กรค่ะ มีส่วนลดไหมคะ", "ขอใบเสนอราคาสำหรับ 20 ไลเซนส์ครับ"),
            "en": ("We're a team of 40 and interested in the business plan. Any discounts?",
                   "Could you send a quotation for 20 licences?"),
        },
        replies={
            "th": ("แพ็กเกจองค์กรเริ่มต้นที่ 450 บาทต่อผู้ใช้ต่อเดือนค่ะ สมัครรายปีลด 15% ค่ะ",
                   "ยินดีค่ะ รบกวนขอชื่อบริษัทและอีเมลผู้ติดต่อสำหรับส่งใบเสนอราคานะคะ"),
            "en": ("The business plan starts at 450 THB per user per month, 15% off with yearly billing.",
                   "Happy to. Which company name and contact email should the quotation go to?"),
        },
        follow_ups={
            "th": ("ขอทดลองใช้ก่อนได้ไหมคะ", "ส่งไปที่ purchasing@siamtrading.co.th ครับ"),
            "en": ("Is there a free trial?", "Please send it to purchasing@example.org."),
        },
        solutions={
            "th": ("ส่งใบเสนอราคาเลขที่ QT-{order} ให้ทางอีเมลแล้วค่ะ", "เปิดสิทธิ์ทดลองใช้ 30 วันให้แล้วค่ะ"),
            "en": ("Quotation QT-{order} is in your inbox.", "Your 30-day trial is active."),
        },
    ),
)  # fmt: skip

THANKS = {
    "th": ("ขอบคุณมากค่ะ", "ได้แล้วครับ ขอบคุณครับ", "โอเคค่ะ 🙏", "เรียบร้อยครับ ขอบคุณที่ช่วยนะครับ"),
    "en": ("Thanks a lot!", "That worked, thank you.", "Great, cheers.", "All sorted, thanks for your help."),
}
REOPENERS = {
    "th": ("ขอโทษค่ะ ยังไม่เรียบร้อยนะคะ", "ขอสอบถามเรื่องเดิมอีกนิดครับ", "ยังมีปัญหาอยู่เลยค่ะ"),
    "en": ("Sorry, this isn't sorted yet.", "One more question about this.", "I still need help with this."),
}
CHASERS = {
    "th": ("มีใครอยู่ไหมคะ", "รบกวนช่วยตอบด่วนด้วยครับ", "รออยู่นะคะ"),
    "en": ("Hello? Anyone there?", "Please get back to me soon.", "Still waiting for an answer."),
}
NOTES = (
    "Checked the order in the back office: payment captured, not yet shipped.",
    "Customer is VIP, handle with priority.",
    "เช็กกับทีมคลังแล้ว สินค้าออกพรุ่งนี้",
    "Asked Technical to look at the logs for this account.",
    "ลูกค้าโทรมาสอบถามเรื่องเดียวกันเมื่อวาน",
    "Refund approved by finance, ref FN-2231.",
)
AUTO_ACK = {
    "th": "ได้รับข้อความของคุณแล้ว เลขที่เรื่อง {reference} ทีมงานจะติดต่อกลับโดยเร็วที่สุด",
    "en": "We've received your message (ticket {reference}). An agent will get back to you shortly.",
}

THAI_FIRST = (("สมชาย", "somchai"), ("สมศรี", "somsri"), ("วิภา", "wipa"), ("ณัฐพล", "nattapon"),
              ("กิตติ", "kitti"), ("อรุณี", "arunee"), ("ประเสริฐ", "prasert"), ("สุดารัตน์", "sudarat"),
              ("ธนากร", "thanakorn"), ("พิมพ์ชนก", "pimchanok"), ("ชัยวัฒน์", "chaiwat"), ("นภัสสร", "napatsorn"),
              ("วรวุฒิ", "worawut"), ("กมลชนก", "kamonchanok"), ("อนุชา", "anucha"), ("ปิยะนุช", "piyanuch"))  # fmt: skip
THAI_LAST = (("ใจดี", "jaidee"), ("ศรีสุข", "srisuk"), ("วงศ์ใหญ่", "wongyai"), ("แสงทอง", "saengthong"),
             ("บุญมา", "boonma"), ("ทองดี", "thongdee"), ("รัตนพันธ์", "rattanaphan"), ("สุขสวัสดิ์", "suksawat"),
             ("เพชรรัตน์", "petcharat"), ("มีสุข", "meesuk"))  # fmt: skip
EN_FIRST = ("Emily", "Daniel", "Sarah", "Michael", "Olivia", "Thomas", "Hannah", "Lucas", "Mia", "Noah", "Grace", "Ben")
EN_LAST = ("Carter", "Nguyen", "Schmidt", "Tanaka", "Brown", "Wilson", "Dubois", "Rossi", "Lee", "Walker")
EMAIL_DOMAINS = ("gmail.com", "hotmail.com", "outlook.co.th", "yahoo.co.th", "example.com", "icloud.com")

CHANNEL_WEIGHTS = {
    Channel.EMAIL: 30, Channel.WHATSAPP: 20, Channel.CHAT: 16, Channel.SMS: 14, Channel.LINE: 12,
    Channel.MESSENGER: 6, Channel.INSTAGRAM: 2,
}  # fmt: skip
# The share of customers who write from each messaging app.
MESSAGING_SHARE = {Channel.LINE: 0.3, Channel.MESSENGER: 0.15, Channel.INSTAGRAM: 0.06}
# New and open work is recent; resolved and closed tickets reach further back (days).
STATUS_PLAN = {
    Status.NEW: (10, 0, 2), Status.OPEN: (15, 0, 10), Status.PENDING: (10, 0, 10),
    Status.RESOLVED: (40, 0, 60), Status.CLOSED: (25, 7, 90),
}  # fmt: skip
# Showcase numbers the pipeline part uses; bulk customers never get them.
_RESERVED_PHONES = {"+66812345678", "+66895550101"}


# --- Files shared by the bulk attachments --------------------------------------------------


def _png_bytes() -> bytes:
    """A 2x2 PNG, built by hand so the demo needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x2a\x7a\xc8" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _pdf_bytes(title: str) -> bytes:
    text = f"BT /F1 18 Tf 72 720 Td ({title}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


@dataclass(frozen=True)
class _DemoFile:
    name: str
    filename: str
    content_type: str
    size: int


def _demo_files() -> list[_DemoFile]:
    """A few files stored once through the storage API; bulk attachments share them."""
    contents = [
        ("receipt.pdf", "application/pdf", _pdf_bytes("Receipt A10423 - 1,290.00 THB")),
        ("screenshot.png", "image/png", _png_bytes()),
        ("slip-transfer.png", "image/png", _png_bytes()),
        ("invoice.pdf", "application/pdf", _pdf_bytes("Tax invoice INV-2026-0042")),
    ]
    files = []
    for filename, content_type, data in contents:
        name = f"attachments/demo/{filename}"
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(data))
        files.append(_DemoFile(name, filename, content_type, len(data)))
    return files


# --- The bulk part -------------------------------------------------------------------------


@dataclass
class SeedSummary:
    tickets: int = 0
    messages: int = 0
    customers: int = 0
    identities: int = 0
    attachments: int = 0
    pipeline_messages: int = 0


@dataclass
class _Person:
    customer_id: int
    name: str
    first: str
    language: str
    vip: bool
    email: str | None
    phone: str | None
    chat: str | None
    # Their LINE userId, Messenger PSID, Instagram IGSID, by channel.
    messaging: dict[str, str] = field(default_factory=dict)


@dataclass
class _Story:
    """One ticket's generated conversation, before it is written."""

    ticket: Ticket
    person: _Person
    messages: list[Message] = field(default_factory=list)
    tags: tuple[str, ...] = ()
    activities: list[TicketActivity] = field(default_factory=list)
    attachments: list[tuple[int, _DemoFile]] = field(default_factory=list)


class _Generator:
    def __init__(self, *, rng: random.Random, now: datetime, users: dict, teams: dict, files: list[_DemoFile],
                 messages_per_ticket: float) -> None:  # fmt: skip
        self.rng = rng
        self.now = now
        self.users = users
        self.teams = teams
        self.files = files
        self.messages_per_ticket = max(1.0, messages_per_ticket)
        self.agent_names = list(_AGENT_WEIGHTS)
        self.agent_weights = list(_AGENT_WEIGHTS.values())
        self.thai_names = {spec.username: spec.thai_name for spec in DEMO_USERS}
        self.prefix = settings.HELPDESK_TICKET_PREFIX

    def uid(self) -> str:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4).hex

    # Customers ---------------------------------------------------------------------------

    def customer(self, index: int) -> tuple[Customer, _Person, list[ContactIdentity]]:
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
            if phone in _RESERVED_PHONES:
                phone = f"+666{digits}"
        if rng.random() < 0.3:
            chat = f"v-{self.uid()[:20]}"
        messaging = {}
        for channel, share in MESSAGING_SHARE.items():
            if rng.random() < share:
                uid = self.uid()
                messaging[channel] = f"U{uid}" if channel == Channel.LINE else str(int(uid[:13], 16))
        anonymous = not email and rng.random() < 0.3
        customer = Customer(
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
                identities.append(ContactIdentity(kind=kind, address=address, lookup_key=lookup, verified=True))
        person = _Person(0, name, first, language, tier == Customer.Tier.VIP, email, phone, chat, messaging)
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

    def _fill(self, template: str, person: _Person, agent: str, values: dict[str, str]) -> str:
        return template.format(name=person.first, agent=agent, **values)

    def _wrap_email(self, text: str, *, person: _Person, inbound: bool, agent_name: str) -> str:
        th = person.language == "th"
        if inbound:
            greeting, closing = ("สวัสดีค่ะ", "ขอบคุณค่ะ") if th else ("Hello,", "Thanks,")
            return f"{greeting}\n\n{text}\n\n{closing}\n{person.name or person.first}"
        if th:
            return f"สวัสดีค่ะ คุณ{person.first}\n\n{text}\n\nขอบคุณค่ะ\n{agent_name}\nทีมดูแลลูกค้า"
        return f"Hi {person.first},\n\n{text}\n\nBest regards,\n{agent_name}\nCustomer Care"

    def story(self, person: _Person, channel: str, status: str) -> _Story:
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
        age = rng.uniform(min_age * 86400, max_age * 86400) + span + rng.uniform(60, 3600)
        start = self.now - timedelta(seconds=age)

        priority = Ticket.Priority.HIGH if person.vip else rng.choices([1, 2, 3, 4], [15, 60, 20, 5])[0]
        assigned = status != Status.NEW or rng.random() < 0.3
        subject = self._fill(rng.choice(topic.subjects[lang]), person, agent_display, values)
        ticket = Ticket(
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
        story = _Story(ticket=ticket, person=person)
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
                message = Message(
                    customer_id=person.customer_id, channel=channel, direction=Direction.IN, text=text,
                    external_id=self._external_id(channel), created_at=at,
                )  # fmt: skip
                if rng.random() < 0.05:
                    story.attachments.append((len(story.messages), rng.choice(self.files)))
            elif kind == "auto":
                message = Message(
                    customer_id=person.customer_id, channel=channel, direction=Direction.OUT,
                    text=AUTO_ACK[lang], is_automatic=True, external_id=self._external_id(channel),
                    delivery_status=Delivery.SENT, created_at=at,
                )  # fmt: skip
            elif kind == "note":
                author = self.users["supervisor"] if rng.random() < 0.3 else agent
                message = Message(
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
                message = Message(
                    customer_id=person.customer_id, channel=channel, direction=Direction.OUT, author=agent, text=text,
                    external_id=None if delivery == Delivery.AWAITING_APPROVAL else self._external_id(channel),
                    delivery_status=delivery, delivery_error_code=error_code,
                    delivered_at=at + timedelta(seconds=3) if delivery in (Delivery.DELIVERED, Delivery.READ) else None,
                    read_at=at + timedelta(seconds=rng.uniform(5, 600)) if delivery == Delivery.READ else None,
                    created_at=at,
                )  # fmt: skip
            message.idempotency_key = uuid.UUID(self.uid())
            story.messages.append(message)

        if channel != Channel.EMAIL:
            # As the pipeline does: a chat or SMS ticket is named after its first words.
            ticket.subject = " ".join(story.messages[0].text.split())[:80]
        self._record_kpis(story, kinds, offsets, reopen_at_slot, resolve_delay, close_delay)
        return story

    def _record_kpis(self, story: _Story, kinds, offsets, reopen_at_slot, resolve_delay, close_delay) -> None:
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
        ticket.last_agent_reply_at = replies[-1].created_at if replies else None
        if replies and ticket.first_inbound_at and not ticket.agent_initiated:
            first = next((m for m in replies if m.created_at >= ticket.first_inbound_at), None)
            if first is not None:
                ticket.first_response_at = first.created_at
                ticket.first_response_s = int((first.created_at - ticket.first_inbound_at).total_seconds())
        last_at = messages[-1].created_at
        ticket.updated_at = last_at
        actor = ticket.assignee
        activities = [TicketActivity(kind=TicketActivity.Kind.CREATED, data={"channel": ticket.channel}, created_at=start)]
        if actor is not None:
            activities.append(
                TicketActivity(
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
                TicketActivity(kind=TicketActivity.Kind.STATUS, actor=actor, data={"from": "open", "to": "resolved"},
                               created_at=first_resolved),
                TicketActivity(kind=TicketActivity.Kind.REOPENED, data={"reason": "customer replied"}, created_at=reopened),
                TicketActivity(kind=TicketActivity.Kind.STATUS, data={"from": "resolved", "to": "open"}, created_at=reopened),
            ]  # fmt: skip
        if ticket.status == Status.PENDING:
            ticket.pending_since = last_at
            activities.append(TicketActivity(kind=TicketActivity.Kind.STATUS, actor=actor,
                                             data={"from": "open", "to": "pending"}, created_at=last_at))  # fmt: skip
        if ticket.status in (Status.RESOLVED, Status.CLOSED):
            resolved = last_at + timedelta(seconds=resolve_delay)
            ticket.resolved_at = resolved
            ticket.resolution_s = int((resolved - start).total_seconds())
            ticket.updated_at = resolved
            activities.append(TicketActivity(kind=TicketActivity.Kind.STATUS, actor=actor,
                                             data={"from": "open", "to": "resolved"}, created_at=resolved))  # fmt: skip
        if ticket.status == Status.CLOSED:
            ticket.closed_at = ticket.resolved_at + timedelta(seconds=close_delay)
            ticket.updated_at = ticket.closed_at
            activities.append(TicketActivity(kind=TicketActivity.Kind.STATUS,
                                             data={"from": "resolved", "to": "closed"}, created_at=ticket.closed_at))  # fmt: skip
        story.activities = activities


def _chunks(total: int, size: int) -> Iterator[int]:
    while total > 0:
        yield min(size, total)
        total -= size


def _weighted_statuses(rng: random.Random, count: int) -> list[str]:
    statuses = list(STATUS_PLAN)
    return rng.choices(statuses, [STATUS_PLAN[s][0] for s in statuses], k=count)


def demo_seed(
    *,
    tickets: int,
    messages_per_ticket: float = 4.0,
    seed: int = 1,
    batch_size: int = 2000,
    showcase: bool = True,
    progress: Callable[[int], None] | None = None,
) -> SeedSummary:
    """Seeds `tickets` bulk tickets (plus the showcase contacts through the pipeline).
    Run again, it adds more: addresses and provider ids never collide with earlier runs."""
    setup = demo_users_ensure()
    demo_calendar_ensure()
    demo_canned_seed(users=setup["users"])
    summary = SeedSummary()
    fresh = not Ticket.objects.exists()
    if showcase:
        summary.pipeline_messages = _showcase(users=setup["users"])
    if tickets <= 0:
        return summary
    # A fresh database with the same seed gives the same data. A later run continues the
    # numbering past every customer, so its addresses and provider ids never collide.
    offset = 1 if fresh else (Customer.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    rng = random.Random(seed if fresh else f"{seed}:{offset}")
    generator = _Generator(
        rng=rng, now=timezone.now(), users=setup["users"], teams=setup["teams"], files=_demo_files(),
        messages_per_ticket=messages_per_ticket,
    )  # fmt: skip

    people = _bulk_customers(generator, count=max(12, tickets // 3), offset=offset, batch_size=batch_size)
    summary.customers = len(people)
    summary.identities = sum(bool(p.email) + bool(p.phone) + bool(p.chat) + len(p.messaging) for p in people)
    by_channel = {
        Channel.EMAIL: [p for p in people if p.email],
        Channel.SMS: [p for p in people if p.phone],
        Channel.WHATSAPP: [p for p in people if p.phone],
        Channel.CHAT: [p for p in people if p.chat],
        **{channel: [p for p in people if channel in p.messaging] for channel in MESSAGING_SHARE},
    }
    channels = [c for c in CHANNEL_WEIGHTS if by_channel[c]]
    weights = [CHANNEL_WEIGHTS[c] for c in channels]
    tags = {}
    for chunk in _chunks(tickets, batch_size):
        stories = []
        for status in _weighted_statuses(rng, chunk):
            channel = rng.choices(channels, weights)[0]
            stories.append(generator.story(rng.choice(by_channel[channel]), channel, status))
        written = _write_stories(stories, tags=tags, batch_size=batch_size)
        summary.tickets += chunk
        summary.messages += written[0]
        summary.attachments += written[1]
        if progress:
            progress(chunk)
    demo_surveys_seed(tickets=Ticket.objects.filter(customer_id__gte=offset), seed=seed)
    # The customers' last contact, from their tickets, in one statement.
    last_inbound = Ticket.objects.filter(customer=OuterRef("pk")).order_by().values("customer")
    Customer.objects.filter(pk__gte=offset, last_inbound_at__isnull=True).update(
        last_inbound_at=Subquery(last_inbound.annotate(top=Max("last_inbound_at")).values("top")[:1])
    )
    return summary


def _bulk_customers(generator: _Generator, *, count: int, offset: int, batch_size: int) -> list[_Person]:
    people: list[_Person] = []
    for chunk_start in range(0, count, batch_size):
        built = [generator.customer(offset + i) for i in range(chunk_start, min(count, chunk_start + batch_size))]
        with transaction.atomic():
            customers = Customer.objects.bulk_create([customer for customer, _, _ in built], batch_size=batch_size)
            identities = []
            for customer, (_, person, owned) in zip(customers, built, strict=True):
                person.customer_id = customer.pk
                for identity in owned:
                    identity.customer_id = customer.pk
                identities += owned
                people.append(person)
            ContactIdentity.objects.bulk_create(identities, batch_size=batch_size)
    return people


@transaction.atomic
def _write_stories(stories: list[_Story], *, tags: dict[str, int], batch_size: int) -> tuple[int, int]:
    Ticket.objects.bulk_create([story.ticket for story in stories], batch_size=batch_size)
    messages, activities, links, attachments = [], [], [], []
    for story in stories:
        ticket = story.ticket
        reference = f"[{ticket.reference}]"
        for index, message in enumerate(story.messages):
            message.ticket_id = ticket.pk
            if message.is_automatic:
                # The acknowledgement names the ticket, whose number exists only now.
                message.text = message.text.format(reference=ticket.reference)
            if ticket.channel == Channel.EMAIL:
                message.subject = ticket.subject if index == 0 else f"Re: {ticket.subject} {reference}"
            messages.append(message)
        for activity in story.activities:
            activity.ticket_id = ticket.pk
            activities.append(activity)
        for name in story.tags:
            links.append((ticket.pk, name))
    Message.objects.bulk_create(messages, batch_size=batch_size)
    for story in stories:
        for index, file in story.attachments:
            message = story.messages[index]
            attachments.append(
                Attachment(
                    message_id=message.pk, file=file.name, filename=file.filename, content_type=file.content_type,
                    size=file.size, created_at=message.created_at,
                )
            )  # fmt: skip
    Attachment.objects.bulk_create(attachments, batch_size=batch_size)
    TicketActivity.objects.bulk_create(activities, batch_size=batch_size)
    missing = {name for _, name in links} - tags.keys()
    if missing:
        Tag.objects.bulk_create([Tag(name=name) for name in missing], ignore_conflicts=True)
        tags.update(Tag.objects.filter(name__in=missing).values_list("name", "pk"))
    Through = Ticket.tags.through
    Through.objects.bulk_create([Through(ticket_id=t, tag_id=tags[name]) for t, name in links], batch_size=batch_size)
    return len(messages), len(attachments)


# --- The showcase, through the real pipeline -----------------------------------------------


def _showcase(*, users: dict) -> int:
    """One person on four channels, an email thread and a reply awaiting approval,
    all through the pipeline and the reply service. Fixed provider ids make a
    second run a no-op: the pipeline acknowledges them as duplicates."""
    contacts = [
        InboundMessage(
            channel=Channel.EMAIL, external_id="<showcase-somchai-1@mail.example.com>",
            sender="Somchai Jaidee <Somchai@Example.com>", sender_name="สมชาย ใจดี", language="th",
            subject="สอบถามสถานะคำสั่งซื้อ #A10423",
            text="สวัสดีครับ\n\nสั่งหูฟังไปเมื่อวันจันทร์ คำสั่งซื้อ #A10423 ยังไม่ได้รับเลยครับ แนบใบเสร็จมาให้แล้ว\n\nสมชาย",
            attachments=[InboundAttachment(filename="receipt-A10423.pdf", content_type="application/pdf",
                                           content=_pdf_bytes("Receipt A10423 - 1,290.00 THB"))],
        ),
        InboundMessage(
            channel=Channel.CHAT, external_id="6f1d3c52-5b0e-4a7e-9a57-showcase0001", sender="chat:showcase-somchai",
            sender_name="สมชาย", sender_extra_addresses=["somchai@example.com", "081 234 5678"], language="th",
            text="ขอเช็กคำสั่งซื้อ #A10423 อีกทีครับ ส่งอีเมลไปแล้วแต่ยังไม่มีใครตอบ",
        ),
        InboundMessage(
            channel=Channel.WHATSAPP, external_id="SMshowcase000000000000000000000001",
            sender="whatsapp:+66812345678", sender_name="Somchai", language="th",
            text="ทักมาทาง WhatsApp นะครับ ถ้าสะดวกตอบทางนี้ได้เลย",
        ),
        InboundMessage(
            channel=Channel.SMS, external_id="SMshowcase000000000000000000000002", sender="+66 81 234 5678",
            text="ได้รับ SMS แจ้งว่าพัสดุตีกลับ หมายความว่าอย่างไรครับ",
        ),
        InboundMessage(
            channel=Channel.EMAIL, external_id="<showcase-emily-1@mail.example.com>",
            sender="Emily Carter <Emily.Carter@Example.com>", sender_name="Emily Carter", language="en",
            subject="Charged twice for order #A20871",
            text="Hello,\n\nMy card was charged 2,450 THB twice for order #A20871. Could you refund one?\n\nThanks,\nEmily",
        ),
        InboundMessage(
            channel=Channel.EMAIL, external_id="<showcase-emily-2@mail.example.com>",
            sender="emily.carter@example.com", sender_name="Emily Carter", language="en",
            subject="Re: Charged twice for order #A20871", in_reply_to="<showcase-emily-1@mail.example.com>",
            text="Adding the bank statement line: 'MERCHANT 2,450.00' appears on the 3rd and the 4th.",
        ),
        # The same Emily from her phone: a second customer, for the merge demo.
        InboundMessage(
            channel=Channel.SMS, external_id="SMshowcase000000000000000000000003", sender="089 555 0101",
            text="Hi, this is Emily Carter, did you get my email about the double charge?",
        ),
    ]  # fmt: skip
    stored = 0
    for contact in contacts:
        result = ingest(contact)
        stored += result.message is not None
        if result.message is not None and contact.channel == Channel.CHAT:
            # An agent checked the chat visitor's pre-chat email and phone: Somchai himself.
            for claim in IdentityClaim.objects.filter(customer_id=result.message.customer_id, verified_at__isnull=True):
                claim_confirm(claim_id=claim.pk, method=IdentityClaim.Method.AGENT, user=users["agent"])
    if stored:
        email_ticket = Ticket.objects.filter(messages__external_id="<showcase-somchai-1@mail.example.com>").first()
        if email_ticket is not None:
            reply_create(
                ticket=email_ticket, author=users["supervisor"], is_note=True, channel=Channel.EMAIL,
                text="ลูกค้าติดต่อมาทั้งอีเมล แชท WhatsApp และ SMS เรื่องเดียวกัน ตอบทางอีเมลทีเดียวพอ",
            )  # fmt: skip
            # A reply of the agent in training waits for a supervisor's approval.
            reply_create(
                ticket=email_ticket, author=users["trainee"], channel=Channel.EMAIL,
                text="สวัสดีค่ะ คุณสมชาย\n\nคำสั่งซื้อ #A10423 ออกจากคลังแล้วค่ะ เลขพัสดุ TH4821937710 "
                "คาดว่าจะได้รับภายในพรุ่งนี้ค่ะ\n\nขอบคุณค่ะ\nณัฐ\nทีมดูแลลูกค้า",
            )  # fmt: skip
    _portal_user_ensure()
    return stored


def _portal_user_ensure() -> None:
    """Somchai signs in to the portal without a password."""
    identity = ContactIdentity.objects.select_related("customer").filter(
        kind=ContactIdentity.Kind.EMAIL, address=PORTAL_EMAIL
    ).first()
    if identity is None or identity.customer.user_id is not None:
        return
    user, created = User.objects.get_or_create(
        username=PORTAL_EMAIL, defaults={"email": PORTAL_EMAIL, "first_name": "สมชาย", "last_name": "ใจดี"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Customer.objects.filter(pk=identity.customer_id, user__isnull=True).update(user=user)
