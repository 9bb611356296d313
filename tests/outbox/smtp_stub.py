"""A tiny SMTP server on a local socket, in the test process, that records the bytes it gets.

It speaks just enough ESMTP for smtplib (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and
advertises SMTPUTF8 only when asked to. Like a real server, it refuses ``MAIL … SMTPUTF8`` when
it did not offer the extension, and a non-ASCII address without it.
"""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class Transaction:
    mail_from: bytes = b""  # the whole MAIL command line, as received
    rcpt_to: list[bytes] = field(default_factory=list)  # each RCPT command line
    data: bytes = b""  # the message, dot-unstuffed, CRLF line ends


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        self.reply("220 stub.test ESMTP")
        current = Transaction()
        while line := self.rfile.readline():
            self.server.commands.append(line)
            verb = line[:4].upper()
            if verb == b"EHLO":
                extensions = ["8BITMIME", *(["SMTPUTF8"] if self.server.smtputf8 else []), "HELP"]
                self.reply("250-stub.test")
                for extension in extensions[:-1]:
                    self.reply(f"250-{extension}")
                self.reply(f"250 {extensions[-1]}")
            elif verb == b"MAIL":
                wants_utf8 = b"SMTPUTF8" in line.upper()
                if wants_utf8 and not self.server.smtputf8:
                    self.reply("555 5.5.4 SMTPUTF8 is not supported")
                    continue
                current = Transaction(mail_from=line)
                self.reply("250 2.1.0 OK")
            elif verb == b"RCPT":
                if not line.isascii() and b"SMTPUTF8" not in current.mail_from.upper():
                    self.reply("553 5.6.7 non-ASCII address without SMTPUTF8")
                    continue
                current.rcpt_to.append(line)
                self.reply("250 2.1.5 OK")
            elif verb == b"DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                current.data = self._read_data()
                self.server.transactions.append(current)
                current = Transaction()
                self.reply("250 2.0.0 queued")
            elif verb in {b"RSET", b"NOOP", b"HELO"}:
                current = Transaction() if verb == b"RSET" else current
                self.reply("250 OK")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 5.5.2 not implemented")

    def _read_data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in {b".\r\n", b""}:
            lines.append(line[1:] if line.startswith(b".") else line)
        return b"".join(lines)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *, smtputf8: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.smtputf8 = smtputf8
        self.commands: list[bytes] = []
        self.transactions: list[Transaction] = []


class SMTPStub:
    """``with SMTPStub(smtputf8=True) as server:`` then point EMAIL_HOST/PORT at it."""

    def __init__(self, *, smtputf8: bool) -> None:
        self._server = _Server(smtputf8=smtputf8)
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def commands(self) -> list[bytes]:
        return self._server.commands

    @property
    def transactions(self) -> list[Transaction]:
        return self._server.transactions

    def __enter__(self) -> SMTPStub:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
