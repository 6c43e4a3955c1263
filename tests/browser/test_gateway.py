#!/usr/bin/env python3
"""roster-sim serve without a browser: its HTTP endpoints (and their answers
to bad queries) and its gateway, spoken by a small WebSocket client written
here (Python's standard library only).

- HELLO first; a request before IDENTIFY closes with 4003, a message that
  is not JSON with 4002, an unknown op with 4001, a second IDENTIFY with
  4005; a heartbeat is acknowledged (op 11).
- IDENTIFY gives READY (s=1) with the guild, its channels and their list ids.
- op 14 for #general gives a GUILD_MEMBER_LIST_UPDATE with a SYNC of
  [0,99] equal to the server's rows; every dispatch's "s" is the previous
  one's + 1.
- Refused: #admins (the user may not view it), reversed ranges, too many
  ranges, an unknown channel: a ROSTER_REQUEST_REFUSED dispatch with the
  status, and nothing subscribed.
- Switching to #lounge (leaving #general), then churn at 2,000 events/s
  for two seconds: the rows kept by applying every op as the client model
  says equal the server's rows after the churn is paused.
- SIGTERM stops the server with status 0.

Usage: test_gateway.py ROSTER_SIM        Exit: 0 ok, 1 failure.
"""
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


class Closed(Exception):
    def __init__(self, code):
        super().__init__("closed with %s" % code)
        self.code = code


class Ws:
    """A WebSocket client: text messages, close codes; no extensions."""

    def __init__(self, port, path="/gateway"):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n" % (path, port, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.s.recv(1)
            if not chunk:
                fail("the server closed during the handshake")
            head += chunk
        check(head.startswith(b"HTTP/1.1 101"), "no WebSocket upgrade: %r" % head[:80])
        self.buf = b""

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise Closed(None)
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, obj):
        data = (obj if isinstance(obj, str) else json.dumps(obj)).encode()
        head = bytes([0x81])
        n = len(data)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.s.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv_text(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            check(not b1 & 0x80, "the server masked a frame")
            payload = self._read(n)
            opcode = b0 & 0x0F
            if opcode == 8:
                raise Closed(struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None)
            if opcode in (0, 1):  # a text message, or its continuation
                message += payload
                if b0 & 0x80:
                    return message.decode()

    def recv(self):
        return json.loads(self.recv_text())

    def expect_close(self, code, what):
        try:
            while True:
                self.recv_text()
        except Closed as e:
            check(e.code == code, "%s: closed with %s, expected %d" % (what, e.code, code))
        except socket.timeout:
            fail(what + ": not closed")


class Server:
    def __init__(self, sim):
        self.proc = subprocess.Popen([sim, "serve", "--port", "0", "--members", "2000",
                                      "--rate", "0", "--seed", "3"],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        check("http://127.0.0.1:" in line, "no URL printed: %r" % line)
        self.url = line.split()[2].rstrip("/")
        self.port = int(self.url.rsplit(":", 1)[1])

    def http(self, path, method="GET"):
        req = urllib.request.Request(self.url + path, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers.get("Content-Type"), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read().decode()

    def json(self, path, method="GET"):
        status, _, body = self.http(path, method)
        check(status == 200, "%s: HTTP %d %s" % (path, status, body))
        return json.loads(body)


def item_matches(item, row):
    if row["kind"] == "header":
        return item.get("group") == {"id": row["group"], "count": row["count"]}
    m = item.get("member")
    return (m is not None and m["user"]["id"] == row["id"] and
            m["user"]["username"] == row["name"] and m["presence"]["status"] == row["status"])


def apply_ops(rows, d):
    """The client model (docs/frames.md): ops in order, then resize."""
    for op in d["ops"]:
        kind = op["op"]
        if kind == "SYNC":
            a = op["range"][0]
            for k, it in enumerate(op["items"]):
                while len(rows) <= a + k:
                    rows.append(None)
                rows[a + k] = it
        elif kind == "UPDATE":
            rows[op["index"]] = op["item"]
        elif kind == "INSERT":
            while len(rows) < op["index"]:
                rows.append(None)
            rows.insert(op["index"], op["item"])
        elif kind == "DELETE":
            if op["index"] < len(rows):
                del rows[op["index"]]
        elif kind == "INVALIDATE":
            for i in range(op["range"][0], min(op["range"][1] + 1, len(rows))):
                rows[i] = None
        else:
            fail("unknown op " + kind)
    length = sum(g["count"] + 1 for g in d["groups"])
    del rows[length:]
    while len(rows) < length:
        rows.append(None)


def main():
    srv = Server(sys.argv[1])
    try:
        run(srv)
    finally:
        srv.proc.terminate()
        try:
            rc = srv.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            srv.proc.kill()
            fail("no exit on SIGTERM")
    check(rc == 0, "roster-sim serve exited with %d" % rc)
    srv.last.expect_close(1001, "the client left connected at SIGTERM")
    print("ok")
    return 0


def run(srv):
    # HTTP.
    status, ctype, body = srv.http("/")
    check(status == 200 and ctype.startswith("text/html") and "app.js" in body, "GET /")
    for path in ("/app.js", "/style.css"):
        check(srv.http(path)[0] == 200, "GET " + path)
    bad = {"/nope": 404, "/debug/rows": 400, "/debug/rows?channel=1&start=0&end=5": 404,
           "/debug/rows?channel=100000000000001001&start=5&end=1": 400,
           "/debug/rows?channel=100000000000001001&start=-1&end=1": 400,
           "/debug/rows?channel=100000000000001001&start=0&end=99999999999": 400,
           "/api/churn?rate=abc": 400, "/api/churn?rate=100001": 400,
           "/api/churn?paused=2": 400}
    for path, want in bad.items():
        got = srv.http(path)[0]
        check(got == want, "GET %s: HTTP %d, expected %d" % (path, got, want))
    check(srv.http("/api/state", method="DELETE")[0] == 405, "DELETE: 405")
    state = srv.json("/api/churn?rate=0&paused=1", method="POST")
    check(state["paused"] is True and state["rate"] == 0, "pause: %r" % state)
    print("http: ok")

    # Protocol errors.
    ws = Ws(srv.port)
    hello = ws.recv()
    check(hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0, "HELLO: %r" % hello)
    ws.send({"op": 14, "d": {"guild_id": "1", "channels": {}}})
    ws.expect_close(4003, "a request before IDENTIFY")
    for message, code in (("not json", 4002), ({"op": 99}, 4001), ({"nop": 1}, 4002)):
        ws = Ws(srv.port)
        ws.recv()
        ws.send(message)
        ws.expect_close(code, "message %r" % (message,))
    print("protocol errors: ok")

    # IDENTIFY, READY.
    ws = Ws(srv.port)
    ws.recv()
    ws.send({"op": 1, "d": None})
    check(ws.recv()["op"] == 11, "heartbeat ack")
    ws.send({"op": 2, "d": {"token": "demo"}})
    ready = ws.recv()
    check(ready["op"] == 0 and ready["t"] == "READY" and ready["s"] == 1, "READY: %r" % ready)
    session = ready["d"]["session_id"]
    guild = ready["d"]["guilds"][0]
    chans = {c["name"]: c for c in guild["channels"]}
    check(chans["general"]["member_list_id"] == "everyone", "#general is 'everyone'")
    check(chans["welcome"]["member_list_id"] == "everyone", "#welcome is 'everyone'")
    check(chans["staff"]["member_list_id"] == chans["announcements"]["member_list_id"],
          "#staff and #announcements share a list id")
    check(len({chans[n]["member_list_id"] for n in ("general", "lounge", "staff", "admins")}) == 4,
          "four distinct list ids")
    seq = [1]

    def dispatch():
        m = ws.recv()
        check(m["op"] == 0 and m["s"] == seq[0] + 1, "s: %r after %d" % (m.get("s"), seq[0]))
        seq[0] = m["s"]
        return m

    def request(channels):
        ws.send({"op": 14, "d": {"guild_id": guild["id"], "typing": True, "channels": channels}})

    # #general, [0, 99].
    general = chans["general"]["id"]
    request({general: [[0, 99]]})
    m = dispatch()
    check(m["t"] == "GUILD_MEMBER_LIST_UPDATE", "an update: %r" % m["t"])
    d = m["d"]
    check(d["id"] == "everyone" and d["guild_id"] == guild["id"], "list id, guild id")
    check(len(d["ops"]) == 1 and d["ops"][0]["op"] == "SYNC" and d["ops"][0]["range"] == [0, 99],
          "one SYNC [0, 99]: %r" % d["ops"][:1])
    truth = srv.json("/debug/rows?channel=%s&start=0&end=99&session=%s" % (general, session))
    check(truth["seq"] == seq[0], "the server's s")
    items = d["ops"][0]["items"]
    check(len(items) == 100 and all(item_matches(it, r) for it, r in zip(items, truth["rows"])),
          "the SYNC's rows are the server's")
    check(d["member_count"] == truth["member_count"] and d["online_count"] == truth["online_count"],
          "counts")
    print("op 14: SYNC of 100 rows equal to the server's")

    # Refusals: nothing subscribed, a status.
    admins = chans["admins"]["id"]
    cases = [({admins: [[0, 99]]}, -12, admins), ({general: [[99, 0]]}, -1, None),
             ({general: [[i * 100, i * 100 + 99] for i in range(17)]}, -4, None),
             ({"123": [[0, 99]]}, -2, "123"),
             ({general: [[0, 99]], admins: [[0, 99]]}, -12, admins)]
    for channels, status, channel in cases:
        request(channels)
        m = dispatch()
        check(m["t"] == "ROSTER_REQUEST_REFUSED" and m["d"]["status"] == status,
              "request %r: %r" % (channels, m))
        if channel:
            check(m["d"]["channel_id"] == channel, "the refused channel: %r" % m["d"])
    print("refusals: ok (%d cases)" % len(cases))

    # Leave #general for #lounge, then churn; the replica must stay true.
    lounge = chans["lounge"]["id"]
    request({general: [], lounge: [[0, 99], [300, 399]]})
    replicas = {}
    got = set()
    while got != {"everyone", chans["lounge"]["member_list_id"]}:
        d = dispatch()["d"]
        got.add(d["id"])
        apply_ops(replicas.setdefault(d["id"], []), d)
    check(all(r is None for r in replicas["everyone"]), "#general's rows invalidated")
    srv.json("/api/churn?rate=2000&paused=0", method="POST")
    deadline = time.monotonic() + 2.0
    updates = 0
    while time.monotonic() < deadline:
        d = dispatch()["d"]
        check(d["id"] == chans["lounge"]["member_list_id"], "only #lounge's list: %r" % d["id"])
        apply_ops(replicas[d["id"]], d)
        updates += 1
    srv.json("/api/churn?paused=1", method="POST")
    truth = srv.json("/debug/rows?channel=%s&start=0&end=399&session=%s" % (lounge, session))
    while seq[0] < truth["seq"]:
        d = dispatch()["d"]
        apply_ops(replicas[d["id"]], d)
    rows = replicas[chans["lounge"]["member_list_id"]]
    check(len(rows) == truth["length"], "length %d, server %d" % (len(rows), truth["length"]))
    held = list(range(0, 100)) + list(range(300, 400))
    for i in held:
        if i >= truth["length"]:
            continue
        check(rows[i] is not None and item_matches(rows[i], truth["rows"][i]),
              "row %d: %r, server %r" % (i, rows[i], truth["rows"][i]))
    check(updates > 10, "only %d updates in 2 s of churn" % updates)
    print("churn: %d updates, %d held rows equal to the server's" % (updates, len(held)))

    ws.send({"op": 2, "d": {"token": "demo"}})
    ws.expect_close(4005, "a second IDENTIFY")

    # A client left connected and subscribed, under churn: SIGTERM must
    # still stop the server cleanly (it closes the client with 1001).
    last = Ws(srv.port)
    last.recv()
    last.send({"op": 2, "d": {"token": "demo"}})
    last.recv()
    last.send({"op": 14, "d": {"guild_id": guild["id"], "channels": {general: [[0, 99]]}}})
    check(last.recv()["t"] == "GUILD_MEMBER_LIST_UPDATE", "the last client's SYNC")
    srv.json("/api/churn?rate=500&paused=0", method="POST")
    srv.last = last


if __name__ == "__main__":
    sys.exit(main())
