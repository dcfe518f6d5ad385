import time

from tickets.services.sanitize import html_to_text, sanitize_html


def test_html_to_text_reads_like_the_mail():
    html = "<html><head><title>x</title><style>p{color:red}</style></head><body><p>Hello&nbsp;Somchai</p><div>line 2<br>line 3</div><script>alert(1)</script></body></html>"
    assert html_to_text(html) == "Hello\xa0Somchai\nline 2\nline 3"


def test_html_to_text_is_fast_on_hostile_markup():
    started = time.monotonic()
    html_to_text("<script>" * 20000 + "<div" * 20000)
    html_to_text("<" * 200000)
    assert time.monotonic() - started < 5


def test_sanitize_html_drops_scripts_handlers_and_javascript_urls():
    dirty = '<p onclick="x()">hi<script>alert(1)</script><a href="javascript:alert(1)">a</a><img src="cid:logo"></p>'
    clean = sanitize_html(dirty)
    assert "onclick" not in clean and "<script" not in clean and "javascript:" not in clean
    assert '<img src="cid:logo">' in clean
