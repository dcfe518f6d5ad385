"""What customers and agents say in the demo, in Thai and English: the topics of
the conversations, the small talk around them, and the names people have."""

from __future__ import annotations

from dataclasses import dataclass


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
