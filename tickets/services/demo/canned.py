"""The demo's canned responses and macros, in Thai and English: shared ones,
one per team, and a personal one for the demo agent. Idempotent by title."""

from __future__ import annotations

from tickets.models import CannedResponse, Macro, Team, Ticket

# (title, body, team name or None for shared)
_SHARED = (
    ("Greeting (EN)", "Hello {{customer.name}},\n\nThank you for contacting us. I'm {{agent.first_name}} and I'll help you with {{ticket.reference}}.", None),
    ("ทักทาย (TH)", "สวัสดีค่ะ คุณ{{customer.name}}\n\nขอบคุณที่ติดต่อเรานะคะ ดิฉัน{{agent.first_name}} ยินดีดูแลเรื่อง {{ticket.reference}} ให้ค่ะ", None),
    ("Closing (EN)", "Is there anything else I can help you with? If not, I'll close {{ticket.reference}}. Have a great day!", None),
    ("ปิดเรื่อง (TH)", "มีอะไรให้ช่วยเพิ่มเติมไหมคะ หากไม่มี ดิฉันขออนุญาตปิดเรื่อง {{ticket.reference}} นะคะ ขอบคุณค่ะ", None),
    ("Tracking number (EN)", "Your parcel is on its way. You can follow it with the tracking number we emailed you; delivery takes 2–3 working days.", None),
    ("เลขพัสดุ (TH)", "พัสดุของคุณ{{customer.name}}ถูกจัดส่งแล้วค่ะ ติดตามได้ด้วยเลขพัสดุที่เราส่งให้ทางอีเมล ใช้เวลาจัดส่ง 2–3 วันทำการค่ะ", None),
    ("Refund timeline (EN)", "Your refund has been approved. It reaches your card within 7–14 days, depending on your bank.", "Billing"),
    ("ระยะเวลาคืนเงิน (TH)", "การคืนเงินได้รับอนุมัติแล้วค่ะ เงินจะเข้าบัตรภายใน 7–14 วัน ขึ้นอยู่กับธนาคารของคุณค่ะ", "Billing"),
    ("Reset password (EN)", "To reset your password, open the sign-in page, choose “Forgot password” and follow the link we email you.", "Technical"),
    ("รีเซ็ตรหัสผ่าน (TH)", "หากต้องการตั้งรหัสผ่านใหม่ กรุณาเปิดหน้าเข้าสู่ระบบ เลือก “ลืมรหัสผ่าน” แล้วกดลิงก์ในอีเมลที่เราส่งให้ค่ะ", "Technical"),
    ("โปรโมชั่นเดือนนี้ (TH)", "เดือนนี้มีส่วนลด 10% สำหรับลูกค้าเก่าค่ะ ใช้โค้ด THANKYOU10 ได้ถึงสิ้นเดือนนะคะ", "ทีมขาย"),
)  # fmt: skip
_PERSONAL = (
    ("My signature", "Best regards,\n{{agent.name}}\nCustomer Support"),
    ("ลายเซ็นของฉัน", "ขอแสดงความนับถือ\n{{agent.name}}\nฝ่ายบริการลูกค้า"),
)
_MACROS = (
    ("Resolve with thanks", "Thank you, {{customer.name}}! I'm marking {{ticket.reference}} as resolved.", Ticket.Status.RESOLVED),
    ("ปิดงานพร้อมขอบคุณ", "ขอบคุณค่ะ คุณ{{customer.name}} ดิฉันขอปิดเรื่อง {{ticket.reference}} นะคะ", Ticket.Status.RESOLVED),
)  # fmt: skip


def demo_canned_seed(*, users: dict) -> int:
    """Creates what is missing; returns how many canned responses were created."""
    teams = {team.name: team for team in Team.objects.all()}
    created = 0
    for title, body, team_name in _SHARED:
        team = teams.get(team_name) if team_name else None
        _, new = CannedResponse.objects.get_or_create(title=title, owner=None, defaults={"body": body, "team": team})
        created += new
    agent = users.get("agent")
    if agent is not None:
        for title, body in _PERSONAL:
            _, new = CannedResponse.objects.get_or_create(title=title, owner=agent, defaults={"body": body})
            created += new
    for name, reply, status in _MACROS:
        Macro.objects.get_or_create(name=name, defaults={"reply_body": reply, "set_status": status})
    return created
