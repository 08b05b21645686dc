#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) for hojokin's tests: it accepts mail on 127.0.0.1 and appends
one JSON line per accepted message to --log, decoded by Python's own email parser (subject from
RFC 2047, text and HTML parts), so the Rust tests check what a mail client would show.

--reject ADDR answers 550 to that recipient (a permanent failure); --hold-at K makes the K-th
message and every one in the 3 seconds after it wait (unlogged) after writing --hold-marker and then refuse them
with 451, so that a test can kill the sender at a known point in the middle of a batch;
--tempfail-while FILE answers every recipient with a temporary 451 for as long as FILE exists
(deleting it makes the server accept again), appending one JSON line per refusal to
--refused-log.
"""
import argparse
import asyncio
import json
import os
import socket
import sys
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, args):
        self.args = args
        self.count = 0
        self.hold_until = 0.0
        self.log = open(args.log, "a", encoding="utf-8")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.args.reject and address == self.args.reject:
            return "550 5.1.1 Mailbox unavailable"
        if self.args.tempfail_while and os.path.exists(self.args.tempfail_while):
            reply = "451 4.7.1 Greylisted by the test server, try again later"
            with open(self.args.refused_log, "a", encoding="utf-8") as refused:
                refused.write(json.dumps({"to": address, "reply": reply}) + "\n")
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        if self.args.hold_at and self.count == self.args.hold_at:
            self.hold_until = time.monotonic() + 3
        if self.args.hold_at and self.count >= self.args.hold_at and time.monotonic() < self.hold_until:
            with open(self.args.hold_marker, "w") as marker:
                marker.write("holding\n")
            await asyncio.sleep(30)
            return "451 4.3.0 Try again later"
        if self.args.delay_ms:
            await asyncio.sleep(self.args.delay_ms / 1000)
        message = message_from_bytes(envelope.content, policy=policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "message_id": message["Message-ID"],
            "to": envelope.rcpt_tos,
            "from": envelope.mail_from,
            "subject": str(message["Subject"]),
            "text": text.get_content() if text else None,
            "html": html.get_content() if html else None,
            "multipart": message.get_content_type(),
        }
        self.log.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.log.flush()
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--reject")
    parser.add_argument("--hold-at", type=int, default=0)
    parser.add_argument("--hold-marker")
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--tempfail-while")
    parser.add_argument("--refused-log")
    args = parser.parse_args()
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Controller(Sink(args), hostname="127.0.0.1", port=port)
    controller.start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.replace(tmp, args.port_file)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()
        sys.exit(0)


if __name__ == "__main__":
    main()
