"""A tiny loopback STS front that refuses ``AssumeRole`` into chosen accounts, as AWS does for a missing trust.

moto grants every ``AssumeRole``, even into roles that do not exist, so it cannot show the commonest failure
of an organization scan: a member account whose role is missing or does not trust the caller. This front
forwards every STS request to the emulator unchanged, except ``AssumeRole`` for a denied account, which it
answers with the HTTP 403 ``AccessDenied`` document AWS STS returns. Point ``AWS_ENDPOINT_URL_STS`` at it.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

DENIED = """<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role}</Message>
  </Error>
  <RequestId>00000000-0000-0000-0000-000000000000</RequestId>
</ErrorResponse>
"""


@contextmanager
def sts_gate(upstream: str, denied_accounts: set[str]) -> Iterator[str]:
    target = urlparse(upstream)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            form = parse_qs(body.decode("utf-8", "replace"))
            role = (form.get("RoleArn") or [""])[0]
            if form.get("Action") == ["AssumeRole"] and role.split(":")[4:5] and role.split(":")[4] in denied_accounts:
                reply = DENIED.format(caller="arn:aws:iam::123456789012:user/moto", role=role).encode()
                self.send_response(403)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
                return
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            conn.request("POST", self.path, body=body, headers=headers)
            upstream_reply = conn.getresponse()
            data = upstream_reply.read()
            self.send_response(upstream_reply.status)
            for key, value in upstream_reply.getheaders():
                if key.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
