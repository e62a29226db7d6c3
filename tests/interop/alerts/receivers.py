"""A real mail server and a webhook receiver on loopback, for the alert tests
(crates/cli/tests/alerts_cli.rs).

- SMTP: aiosmtpd, STARTTLS required before anything else (certificate and key
  given), AUTH LOGIN/PLAIN required and only after STARTTLS.
- Webhook: http.server; every request's signature is checked with the
  `standardwebhooks` library (the Standard Webhooks reference implementation
  for Python): 401 if it does not verify. `--fail-first N` answers 503 to the
  first N well-signed deliveries.

Prints one JSON object per line: {"listening": {...}} first, then
{"mail": {...}} and {"webhook": {...}} as they arrive.
"""

import argparse
import json
import socket
import ssl
import sys
import threading
import time
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

lock = threading.Lock()


def say(obj):
    with lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Mail:
    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)
        say({"mail": {
            "at": time.time(),
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(msg["subject"]),
            "body": msg.get_body(preferencelist=("plain",)).get_content(),
            "tls": session.ssl is not None,
            "auth": session.authenticated,
        }})
        return "250 OK"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and auth_data.password == password.encode():
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)
    return check


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--user", default="hotline")
    ap.add_argument("--password", required=True)
    ap.add_argument("--webhook-secret", required=True)
    ap.add_argument("--webhook-port", type=int, default=0)
    ap.add_argument("--fail-first", type=int, default=0)
    a = ap.parse_args()

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.cert, a.key)
    smtp_port = free_port()
    smtp = Controller(
        Mail(), hostname="127.0.0.1", port=smtp_port, server_hostname="127.0.0.1",
        tls_context=ctx, require_starttls=True,
        authenticator=authenticator(a.user, a.password), auth_required=True, auth_require_tls=True,
    )
    smtp.start()

    hook = Webhook(a.webhook_secret)
    failures = {"left": a.fail_first}

    class Hook(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            n = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(n)
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                payload = hook.verify(body, headers)
            except WebhookVerificationError as e:
                say({"webhook": {"at": time.time(), "verified": False, "error": str(e)}})
                self.send_response(401)
                self.end_headers()
                return
            if failures["left"] > 0:
                failures["left"] -= 1
                say({"webhook": {"at": time.time(), "verified": True, "answered": 503, "id": headers.get("webhook-id")}})
                self.send_response(503)
                self.end_headers()
                return
            say({"webhook": {"at": time.time(), "verified": True, "answered": 200, "id": headers.get("webhook-id"), "payload": payload}})
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", a.webhook_port), Hook)
    say({"listening": {"smtp": smtp_port, "webhook": httpd.server_address[1]}})
    try:
        httpd.serve_forever()
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
