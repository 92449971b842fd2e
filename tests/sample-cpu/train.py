"""Train a tiny classifier on generated data and save it to $MODEL_DIR/model.pkl.

The label is 1 when x0 + x1 > 0, so the answer for a point is easy to check.
"""

import os
import pathlib

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression

FEATURES = 4


def main() -> None:
    rng = np.random.default_rng(42)
    x = rng.normal(size=(500, FEATURES))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    model = LogisticRegression().fit(x, y)
    accuracy = model.score(x, y)

    model_dir = pathlib.Path(os.environ.get("MODEL_DIR", "models"))
    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_dir / "model.pkl"
    tmp = path.with_suffix(".pkl.tmp")
    joblib.dump(model, tmp)
    tmp.replace(path)
    st = path.stat()
    print(
        f"trained: accuracy={accuracy:.3f} saved={path} "
        f"uid={st.st_uid} mode={oct(st.st_mode & 0o777)}",
        flush=True,
    )


if __name__ == "__main__":
    main()
