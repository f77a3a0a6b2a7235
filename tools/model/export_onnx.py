"""A fitted IsolationForest as one small ONNX graph (imported by train.py).

skl2onnx converts each tree on its own (Gather, TreeEnsembleRegressor, LabelEncoders, path-length
arithmetic: ~3,000 nodes for 100 trees), and onnxruntime pays a kernel launch per node: ~1-2 ms per
call whatever the batch size, which was the detector's whole single-document latency (bench/provenance).
Here all trees go into ONE TreeEnsembleRegressor whose leaf weights are the path length sklearn
adds for that leaf (decision path length - 1 + average path length of the leaf's samples), summed
over the trees, followed by sklearn's own closing arithmetic:

    scores = -(2 ** (-sum / (n_trees * c(max_samples)))) - offset_   (= decision_function)

Five nodes. train.py checks the graph against decision_function on training rows before writing it.
Thresholds are rounded DOWN to float32: the input is float32 (as sklearn's trees see it), so
x <= float32_down(t) exactly when x <= t, and no comparison flips.
"""
import numpy as np
import onnx
from onnx import TensorProto, helper
from sklearn.ensemble._iforest import _average_path_length


def _f32_down(t: float) -> float:
    f = np.float32(t)
    return float(np.nextafter(f, np.float32(-np.inf)) if float(f) > t else f)


def isolation_forest_onnx(model, width: int, input_name: str = "features", output_name: str = "scores") -> onnx.ModelProto:
    subsample = model._max_features != width
    attrs = {k: [] for k in ("nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes",
                             "nodes_truenodeids", "nodes_falsenodeids", "target_treeids", "target_nodeids", "target_ids", "target_weights")}
    for t, (est, feats) in enumerate(zip(model.estimators_, model.estimators_features_)):
        tree = est.tree_
        lengths = model._decision_path_lengths[t]
        avg = model._average_path_length_per_tree[t]
        for n in range(tree.node_count):
            leaf = tree.children_left[n] == -1
            attrs["nodes_treeids"].append(t)
            attrs["nodes_nodeids"].append(n)
            attrs["nodes_featureids"].append(0 if leaf else int(feats[tree.feature[n]] if subsample else tree.feature[n]))
            attrs["nodes_values"].append(0.0 if leaf else _f32_down(float(tree.threshold[n])))
            attrs["nodes_modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            attrs["nodes_truenodeids"].append(0 if leaf else int(tree.children_left[n]))
            attrs["nodes_falsenodeids"].append(0 if leaf else int(tree.children_right[n]))
            if leaf:
                attrs["target_treeids"].append(t)
                attrs["target_nodeids"].append(n)
                attrs["target_ids"].append(0)
                attrs["target_weights"].append(float(lengths[n] + avg[n] - 1.0))
    denominator = len(model.estimators_) * float(_average_path_length([model._max_samples])[0])
    nodes = [
        helper.make_node("TreeEnsembleRegressor", [input_name], ["depth_sum"], domain="ai.onnx.ml",
                         n_targets=1, aggregate_function="SUM", post_transform="NONE", **attrs),
        helper.make_node("Mul", ["depth_sum", "neg_inv_denominator"], ["exponent"]),
        helper.make_node("Pow", ["two", "exponent"], ["power"]),
        helper.make_node("Neg", ["power"], ["score_samples"]),
        helper.make_node("Sub", ["score_samples", "offset"], [output_name]),
    ]
    consts = [
        helper.make_tensor("neg_inv_denominator", TensorProto.FLOAT, [], [-1.0 / denominator]),
        helper.make_tensor("two", TensorProto.FLOAT, [], [2.0]),
        helper.make_tensor("offset", TensorProto.FLOAT, [], [float(model.offset_)]),
    ]
    graph = helper.make_graph(
        nodes, "isolation_forest",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [None, width])],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, [None, 1])],
        initializer=consts,
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)], producer_name="chainwatch tools/model")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def check_against_sklearn(m: onnx.ModelProto, model, X: np.ndarray, rows: int = 64) -> float:
    """Largest |onnx - decision_function| over the first `rows` rows (onnx's reference evaluator)."""
    from onnx.reference import ReferenceEvaluator
    x = X[:rows]
    got = ReferenceEvaluator(m).run(None, {"features": x})[0].ravel()
    return float(np.max(np.abs(got - model.decision_function(x))))
