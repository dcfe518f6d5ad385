"""Sentiment and severity of inbound messages, offline.

A small lexicon for English and Thai. Thai has no spaces between words, so Thai
text is segmented with PyThaiNLP's newmm (dictionary-based maximal matching)
first. The analyzer sits behind a small interface: HELPDESK_SENTIMENT_ANALYZER
may name another class with the same `analyze` method."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from tickets.models import Message, MessageSentiment

THAI_CHARS = re.compile(r"[\u0E00-\u0E7F]")
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
LATIN_WORD = re.compile(r"[a-z0-9']+")

# word -> weight. Negative words weigh more: an unhappy customer is the one to find.
LEXICON: dict[str, float] = {
    # English
    "thanks": 1, "thank": 1, "great": 2, "excellent": 2, "love": 2, "perfect": 2, "happy": 1.5,
    "good": 1, "helpful": 1.5, "awesome": 2, "resolved": 1, "appreciate": 1.5, "quick": 1,
    "bad": -1.5, "terrible": -2.5, "awful": -2.5, "horrible": -2.5, "worst": -3, "angry": -2.5,
    "annoyed": -2, "frustrated": -2, "frustrating": -2, "disappointed": -2, "unacceptable": -3,
    "useless": -2.5, "broken": -1.5, "slow": -1, "waiting": -1, "still": -0.5, "never": -1,
    "ridiculous": -2.5, "rude": -2.5, "scam": -3, "complaint": -2, "problem": -1, "wrong": -1.5,
    "hate": -3, "refund": -1.5, "cancel": -1.5, "unhappy": -2, "poor": -1.5, "fail": -1.5, "failed": -1.5,
    # Thai (as newmm segments them)
    "ขอบคุณ": 1.5, "ดี": 1, "ดีมาก": 2, "เยี่ยม": 2, "ประทับใจ": 2, "พอใจ": 1.5, "ชอบ": 1.5,
    "รวดเร็ว": 1, "สุดยอด": 2, "ช่วยได้": 1.5,
    "แย่": -2, "แย่มาก": -3, "ห่วย": -2.5, "โกรธ": -2.5, "ผิดหวัง": -2, "ช้า": -1, "เสีย": -1,
    "ไม่พอใจ": -2.5, "รำคาญ": -2, "โกง": -3, "ร้องเรียน": -2, "เสียหาย": -2, "ปัญหา": -1,
    "ยกเลิก": -1.5, "คืนเงิน": -1.5, "รอนาน": -1.5, "หงุดหงิด": -2, "เลว": -2.5,
}  # fmt: skip
# Words that tell a customer is about to leave or to escalate outside: severity 3.
SEVERE: frozenset[str] = frozenset(
    {"lawyer", "sue", "court", "police", "scam", "fraud", "unsubscribe", "ฟ้อง", "ทนาย", "ตำรวจ", "โกง", "ศาล", "สคบ"}
)
NEGATORS: frozenset[str] = frozenset({"not", "no", "never", "don't", "didn't", "isn't", "wasn't", "ไม่", "ไม่ได้", "ไม่ค่อย"})


@dataclass(frozen=True)
class SentimentResult:
    score: float  # -1 .. 1
    label: str
    severity: int  # 0 calm .. 3 threatening to leave or to sue
    language: str
    matched: list[str] = field(default_factory=list)


class SentimentAnalyzer(Protocol):
    name: str

    def analyze(self, text: str) -> SentimentResult: ...


def tokenize(text: str) -> list[str]:
    """Lower-cased words; Thai runs segmented with newmm. Shared with keyword rules."""
    text = (text or "").lower().translate(THAI_DIGITS)
    if not THAI_CHARS.search(text):
        return LATIN_WORD.findall(text)
    from pythainlp.tokenize import word_tokenize

    words: list[str] = []
    for token in word_tokenize(text, engine="newmm", keep_whitespace=False):
        words.extend(LATIN_WORD.findall(token) if not THAI_CHARS.search(token) else [token.strip()])
    return [word for word in words if word]


def contains_phrase(words: list[str], phrase: str) -> bool:
    """True when the phrase's own segmentation occurs in `words`, as whole words."""
    needle = tokenize(phrase)
    if not needle:
        return False
    size = len(needle)
    return any(words[i : i + size] == needle for i in range(len(words) - size + 1))


class LexiconAnalyzer:
    name = "lexicon-v1"

    def analyze(self, text: str) -> SentimentResult:
        words = tokenize(text)
        language = "th" if THAI_CHARS.search(text or "") else "en"
        total, matched, severe = 0.0, [], False
        for index, word in enumerate(words):
            severe = severe or word in SEVERE
            weight = LEXICON.get(word)
            if weight is None:
                continue
            # "not good", "ไม่ ดี": a negator just before flips the word.
            if index and words[index - 1] in NEGATORS:
                weight = -weight if weight > 0 else weight * 0.5
            total += weight
            matched.append(word)
        shouting = sum(1 for w in re.findall(r"\b[A-Z]{3,}\b", text or "")) >= 2 or (text or "").count("!") >= 3
        if shouting and total < 0:
            total -= 1
        score = max(-1.0, min(1.0, total / 4))
        label = "negative" if score <= -0.25 else "positive" if score >= 0.25 else "neutral"
        if severe:
            severity = 3
        elif score <= -0.75:
            severity = 2
        elif label == "negative":
            severity = 1
        else:
            severity = 0
        return SentimentResult(score=round(score, 3), label=label, severity=severity, language=language, matched=matched)


@lru_cache(maxsize=1)
def get_analyzer() -> SentimentAnalyzer:
    path = getattr(settings, "HELPDESK_SENTIMENT_ANALYZER", "")
    return import_string(path)() if path else LexiconAnalyzer()


def sentiment_record(*, message: Message) -> MessageSentiment:
    """Scores an inbound message once; a second call returns the stored score."""
    existing = MessageSentiment.objects.filter(message=message).first()
    if existing is not None:
        return existing
    MessageSentiment.objects.bulk_create([_scored(message, get_analyzer())], ignore_conflicts=True)
    return MessageSentiment.objects.get(message=message)


def sentiments_record(*, messages: list[Message]) -> None:
    """`sentiment_record` for many messages: those not scored yet, in one INSERT."""
    scored = set(MessageSentiment.objects.filter(message__in=messages).values_list("message_id", flat=True))
    analyzer = get_analyzer()
    rows = [_scored(message, analyzer) for message in messages if message.pk not in scored]
    MessageSentiment.objects.bulk_create(rows, ignore_conflicts=True)


def _scored(message: Message, analyzer: SentimentAnalyzer) -> MessageSentiment:
    result = analyzer.analyze(message.text)
    return MessageSentiment(
        message=message,
        ticket_id=message.ticket_id,
        customer_id=message.customer_id,
        score=result.score,
        label=result.label,
        severity=result.severity,
        language=result.language,
        analyzer=analyzer.name,
        created_at=message.created_at,
    )
