"""A small HTTP inference server (standard library only).

GET  /health   200 {"status": "ok"} once the model is loaded, else 503
POST /predict  {"instances": [[x0, x1, x2, x3], ...]} -> {"predictions": [0 or 1, ...]}
"""

import json
import os
import pathlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import joblib

MODEL_PATH = pathlib.Path(os.environ.get("MODEL_DIR", "models")) / "model.pkl"
PORT = int(os.environ.get("PORT", "8000"))

_model = None
_lock = threading.Lock()


def model():
    """The model, loaded on first use (training may finish after start-up)."""
    global _model
    with _lock:
        if _model is None and MODEL_PATH.is_file():
            _model = joblib.load(MODEL_PATH)
        return _model


class Handler(BaseHTTPRequestHandler):
    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path != "/health":
            self._reply(404, {"error": "not found"})
        elif model() is None:
            self._reply(503, {"status": "no model", "path": str(MODEL_PATH)})
        else:
            self._reply(200, {"status": "ok"})

    def do_POST(self) -> None:  # noqa: N802
        if self.path != "/predict":
            self._reply(404, {"error": "not found"})
            return
        m = model()
        if m is None:
            self._reply(503, {"error": f"no model at {MODEL_PATH}"})
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
            instances = json.loads(self.rfile.read(length))["instances"]
            predictions = [int(p) for p in m.predict(instances)]
        except (KeyError, TypeError, ValueError) as e:
            self._reply(400, {"error": str(e)})
            return
        self._reply(200, {"predictions": predictions})

    def log_message(self, fmt: str, *args) -> None:
        print(f"{self.address_string()} {fmt % args}", flush=True)


def main() -> None:
    server = ThreadingHTTPServer(("0.0.0.0", PORT), Handler)
    print(f"serving on port {PORT}, model {MODEL_PATH}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
