# A private package index for tests/e2e_secrets.rs: PEP 503 pages and one
# generated wheel (i9-private-pkg 0.1.0), served only with HTTP Basic auth.
# Usage: private_index.py USER PASSWORD PORT_FILE LOG_FILE (binds 127.0.0.1:0,
# writes the port to PORT_FILE, logs AUTH/NOAUTH per request to LOG_FILE).
import base64, hashlib, http.server, io, os, sys, zipfile

user, password, port_file, log_file = sys.argv[1:5]
name, mod, ver = "i9-private-pkg", "i9_private_pkg", "0.1.0"
dist = f"{mod}-{ver}"
files = {
    f"{mod}/__init__.py": b"VALUE = 'from the private index'\n",
    f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\n".encode(),
    f"{dist}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: i9\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = "".join(
    f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b'=').decode()},{len(b)}\n"
    for p, b in files.items()
) + f"{dist}.dist-info/RECORD,,\n"
files[f"{dist}.dist-info/RECORD"] = record.encode()
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    for p, b in files.items():
        z.writestr(p, b)
wheel = buf.getvalue()
wheel_name = f"{dist}-py3-none-any.whl"
digest = hashlib.sha256(wheel).hexdigest()
expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_GET(self, head=False):
        ok = self.headers.get("Authorization") == expected
        with open(log_file, "a") as f:
            f.write(f"{'AUTH' if ok else 'NOAUTH'} {self.path}\n")
        if not ok:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="i9"')
            self.end_headers()
            return
        p = self.path.split("?")[0].rstrip("/")
        if p in ("/simple/i9-private-pkg", "/simple/i9_private_pkg"):
            body = f'<html><body><a href="/files/{wheel_name}#sha256={digest}">{wheel_name}</a></body></html>'.encode()
            ctype = "text/html"
        elif p == f"/files/{wheel_name}":
            body, ctype = wheel, "application/octet-stream"
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.replace(port_file + ".tmp", port_file)
srv.serve_forever()
