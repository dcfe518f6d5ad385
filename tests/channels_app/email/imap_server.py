"""A small IMAP4rev1 server for the tests (RFC 3501): enough of LOGIN, SELECT,
UID SEARCH UNSEEN, UID FETCH (BODY.PEEK[] / RFC822), UID STORE +FLAGS (\\Seen),
NOOP and LOGOUT, over plain TCP on 127.0.0.1 and a port chosen at run time.

It keeps one mailbox in memory and a log of the commands it was sent, so tests
can check what the client did and in which order."""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class StoredMail:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class Mailbox:
    def __init__(self) -> None:
        self.mails: list[StoredMail] = []
        self.lock = threading.Lock()
        self.log: list[str] = []

    def add(self, raw: bytes, *, seen: bool = False) -> int:
        with self.lock:
            uid = (self.mails[-1].uid + 1) if self.mails else 1
            self.mails.append(StoredMail(uid=uid, raw=raw, flags={"\\Seen"} if seen else set()))
            return uid

    def unseen(self) -> list[int]:
        return [mail.uid for mail in self.mails if "\\Seen" not in mail.flags]

    def by_uid(self, uid: int) -> tuple[int, StoredMail] | None:
        for sequence, mail in enumerate(self.mails, start=1):
            if mail.uid == uid:
                return sequence, mail
        return None


_COMMAND = re.compile(rb"^(\S+) (\S+)(?: (.*))?$")


class _Handler(socketserver.StreamRequestHandler):
    server: IMAPTestServer

    def send(self, line: bytes) -> None:
        self.wfile.write(line + b"\r\n")

    def handle(self) -> None:
        self.send(b"* OK [CAPABILITY IMAP4rev1] helpdesk test IMAP server ready")
        selected = False
        while True:
            line = self.rfile.readline()
            if not line:
                return
            found = _COMMAND.match(line.rstrip(b"\r\n"))
            if found is None:
                self.send(b"* BAD unparseable command")
                continue
            tag, command, args = found.group(1), found.group(2).upper(), (found.group(3) or b"")
            self.server.mailbox.log.append(f"{command.decode()} {args.decode(errors='replace')}".strip())
            if command == b"CAPABILITY":
                self.send(b"* CAPABILITY IMAP4rev1")
                self.send(tag + b" OK CAPABILITY completed")
            elif command == b"LOGIN":
                user, _, password = args.partition(b" ")
                if (user.strip(b'"'), password.strip(b'"')) == self.server.credentials:
                    self.send(tag + b" OK LOGIN completed")
                else:
                    self.send(tag + b" NO [AUTHENTICATIONFAILED] invalid credentials")
            elif command == b"SELECT":
                selected = True
                self.send(b"* %d EXISTS" % len(self.server.mailbox.mails))
                self.send(b"* 0 RECENT")
                self.send(b"* OK [UIDVALIDITY 1] UIDs valid")
                self.send(b"* FLAGS (\\Seen)")
                self.send(tag + b" OK [READ-WRITE] SELECT completed")
            elif command == b"UID" and selected:
                self.uid_command(tag, args)
            elif command == b"NOOP":
                self.send(tag + b" OK NOOP completed")
            elif command == b"LOGOUT":
                self.send(b"* BYE logging out")
                self.send(tag + b" OK LOGOUT completed")
                return
            else:
                self.send(tag + b" BAD unknown or unexpected command")

    def uid_command(self, tag: bytes, args: bytes) -> None:
        mailbox = self.server.mailbox
        sub, _, rest = args.partition(b" ")
        sub = sub.upper()
        if sub == b"SEARCH" and rest.upper().strip() == b"UNSEEN":
            with mailbox.lock:
                uids = mailbox.unseen()
            self.send(b"* SEARCH" + b"".join(b" %d" % uid for uid in uids))
            self.send(tag + b" OK SEARCH completed")
        elif sub == b"FETCH":
            uid_text, _, items = rest.partition(b" ")
            found = mailbox.by_uid(int(uid_text))
            if found is not None:
                sequence, mail = found
                peek = b"BODY.PEEK[]" in items.upper()
                name = b"BODY[]" if peek or b"BODY[]" in items.upper() else b"RFC822"
                if not peek:
                    # RFC 3501 §6.4.5: fetching the body without PEEK sets \Seen.
                    mail.flags.add("\\Seen")
                self.wfile.write(b"* %d FETCH (UID %d %s {%d}\r\n" % (sequence, mail.uid, name, len(mail.raw)))
                self.wfile.write(mail.raw)
                self.send(b")")
            self.send(tag + b" OK FETCH completed")
        elif sub == b"STORE":
            uid_text, _, change = rest.partition(b" ")
            found = mailbox.by_uid(int(uid_text))
            if found is not None and change.upper().startswith(b"+FLAGS") and b"\\SEEN" in change.upper():
                sequence, mail = found
                mail.flags.add("\\Seen")
                self.send(b"* %d FETCH (UID %d FLAGS (\\Seen))" % (sequence, mail.uid))
            self.send(tag + b" OK STORE completed")
        else:
            self.send(tag + b" BAD unsupported UID command")


class IMAPTestServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *, user: str, password: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mailbox = Mailbox()
        self.credentials = (user.encode(), password.encode())
        self._thread = threading.Thread(target=self.serve_forever, name="imap-test-server", daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> IMAPTestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)
