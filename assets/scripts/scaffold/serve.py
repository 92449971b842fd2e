"""Inference entry point scaffolded by mlcontain: replace it with your server.

A dependency-free HTTP server: GET /health answers 200 (the container's
HEALTHCHECK uses it); GET / reports the devices __FRAMEWORK__ sees and the model
found in MODEL_DIR.
"""

import json
import os
import pathlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


__DEVICES__

MODEL_DIR = pathlib.Path(os.environ.get("MODEL_DIR", "models"))


class Handler(BaseHTTPRequestHandler):
    def _send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self._send(200, {"status": "ok"})
        elif self.path == "/":
            model = MODEL_DIR / "model.json"
            self._send(200, {
                "devices": devices(),
                "model": json.loads(model.read_text()) if model.exists() else None,
            })
        else:
            self._send(404, {"error": "not found"})

    def log_message(self, fmt, *args):
        if self.path != "/health":
            super().log_message(fmt, *args)


def main():
    port = int(os.environ.get("PORT", "__PORT__"))
    print(f"serving on 0.0.0.0:{port}", flush=True)
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
