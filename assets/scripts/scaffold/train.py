"""Training entry point scaffolded by mlcontain: replace it with your training code.

It prints the devices __FRAMEWORK__ sees and writes a small file to MODEL_DIR, so the
inference service can show that the shared `models` volume works.
"""

import json
import os
import pathlib


__DEVICES__

def main():
    found = devices()
    version = __VERSION__
    print(f"__FRAMEWORK__ {version} sees: {found}", flush=True)
    model_dir = pathlib.Path(os.environ.get("MODEL_DIR", "models"))
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "model.json").write_text(json.dumps({"devices": found, "version": version}))
    print(f"wrote {model_dir / 'model.json'}")


if __name__ == "__main__":
    main()
