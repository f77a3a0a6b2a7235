"""Trains the provenance anomaly model: IsolationForest on feature vectors, exported to ONNX.

Usage: python train.py --features train.jsonl --out DIR --trained-on TEXT [--trees 64] [--seed 7] [--quantile 0.995]

Input: JSON Lines, one object per document: {"features": [float, ...]} plus the header line
{"schemaVersion": N, "featureNames": [...]} first. Output in DIR:
  model.onnx     one input "features" float32 [N, F]; output scores [N, 1] (sklearn's decision_function), export_onnx.py
  model.json     (metadata, beside the model as the loader expects) schemaVersion, featureNames, threshold (on the anomaly score = -decision_function),
                 calibration, training data sha256 and size, date, trainedOn, per-feature medians
                 (the detector's attribution replaces one feature at a time by its median).
Threshold calibration: the `quantile` of the anomaly scores of the training documents themselves
(so about 1 - quantile of normal releases would alarm), plus a margin of 10% of the score spread.
"""
import argparse
import datetime
import hashlib
import json
import os

import numpy as np
from sklearn.ensemble import IsolationForest

from export_onnx import check_against_sklearn, isolation_forest_onnx


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--trained-on", required=True)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quantile", type=float, default=0.99)
    a = ap.parse_args()

    raw = open(a.features, "rb").read()
    lines = raw.decode("utf-8").splitlines()
    header = json.loads(lines[0])
    X = np.array([json.loads(l)["features"] for l in lines[1:] if l.strip()], dtype=np.float32)
    if X.ndim != 2 or X.shape[1] != len(header["featureNames"]):
        raise SystemExit(f"feature width {X.shape} does not match the header's {len(header['featureNames'])} names")

    model = IsolationForest(n_estimators=a.trees, max_samples=min(256, len(X)), random_state=a.seed)
    model.fit(X)
    scores = -model.decision_function(X)
    q = float(np.quantile(scores, a.quantile))
    spread = float(np.quantile(scores, 0.99) - np.quantile(scores, 0.01))
    threshold = q + 0.1 * spread

    # One TreeEnsembleRegressor instead of skl2onnx's per-tree graph (export_onnx.py says why).
    onx = isolation_forest_onnx(model, X.shape[1])
    worst = check_against_sklearn(onx, model, X)
    if not worst < 1e-4:
        raise SystemExit(f"the exported graph disagrees with sklearn's decision_function by {worst}")
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "model.onnx"), "wb") as f:
        f.write(onx.SerializeToString())
    meta = {
        "format": "chainwatch.provenance-model.v1",
        "schemaVersion": header["schemaVersion"],
        "featureNames": header["featureNames"],
        "algorithm": f"sklearn IsolationForest(n_estimators={a.trees}, max_samples={min(256, len(X))}, random_state={a.seed})",
        "scoreOutput": "scores",
        "scoreSign": -1,
        "threshold": threshold,
        "calibration": {"quantile": a.quantile, "quantileScore": q, "margin": 0.1 * spread, "trainingScoreMax": float(scores.max())},
        "training": {"sha256": hashlib.sha256(raw).hexdigest(), "documents": int(len(X)), "bytes": len(raw)},
        "medians": [float(v) for v in np.median(X, axis=0)],
        "trainedAt": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "trainedOn": a.trained_on,
        "versions": {"scikit-learn": __import__("sklearn").__version__, "onnx": __import__("onnx").__version__, "export": "export_onnx.py (one TreeEnsembleRegressor)"},
    }
    with open(os.path.join(a.out, "model.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(json.dumps({"threshold": threshold, "documents": len(X)}))


if __name__ == "__main__":
    main()
