"""plot_model / model_to_dot against Keras 3: each architecture is built with the same layer names in kerasj and
in Keras, and both drawings must say the same thing: the same boxes (the layer names and the text of their
labels: shapes, dtypes, activations, trainable), the same arrows between them, in the same clusters, with
the same graph attributes. The label markup itself may differ."""
import re
import subprocess
import sys
import types
import xml.etree.ElementTree as ElementTree

import keras
import numpy as np
import pydot
import pytest
from keras.src.utils import model_visualization as keras_visualization
from PIL import Image

import kerasj


# -- the same architectures in both libraries (`k` is kerasj or keras) ------------------------------------------
def _dense(k, name, activation=None):
    # Creating weights compiles a program per weight shape; few shapes keep this fast. The values play no part.
    return k.layers.Dense(4, activation=activation, kernel_initializer="zeros", name=name)


def _multi_in_out(k):
    """Two inputs (one of int32 token ids), a layer shared by both branches, a frozen layer, two outputs and an
    op (`o1 + o2`); `shared` is also used by a second model, whose calls must not show up."""
    L = k.layers
    a, b = k.Input((4,), name="in_a"), k.Input((2,), name="in_b", dtype="int32")
    shared = _dense(k, "shared", "relu")
    frozen = _dense(k, "pb")
    frozen.trainable = False
    tokens = L.Flatten(name="flat")(L.Embedding(7, 2, embeddings_initializer="zeros", name="emb")(b))
    x = L.Concatenate(name="cat")([shared(_dense(k, "pa")(a)), shared(frozen(tokens))])
    o1 = _dense(k, "out1", "softmax")(x)
    o2 = _dense(k, "out2")(x)
    other_in = k.Input((4,), name="other_in")
    k.Model(other_in, shared(other_in), name="other")
    return k.Model([a, b], [o1, o2, o1 + o2], name="mimo")


def _nested(k):
    inner_in = k.Input((4,), name="inner_in")
    inner = k.Model(inner_in, _dense(k, "inner_dense")(inner_in), name="inner_f")
    seq = k.Sequential([_dense(k, "s1"), _dense(k, "s2")], name="inner_s")
    x = k.Input((4,), name="x")
    h = _dense(k, "pre")(x)
    y = k.layers.Concatenate(name="join")([inner(h), seq(h)])
    return k.Model(x, _dense(k, "post")(y), name="outer")


def _sequential(k):
    inner = k.Sequential([_dense(k, "q1"), _dense(k, "q2")], name="qin")
    return k.Sequential([k.Input((4,)), _dense(k, "q0", "tanh"), inner, _dense(k, "q3")], name="qout")


def _subclass_type(k):
    class Sub(k.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.d = _dense(k, "sd")

        def call(self, x):
            return self.d(x)
    return Sub


def _subclassed(k):
    model = _subclass_type(k)()
    model(np.ones((1, 4), "float32"))
    return model


@pytest.fixture(scope="module")
def models():
    return {name: (build(kerasj), build(keras)) for name, build in
            (("mimo", _multi_in_out), ("nested", _nested), ("sequential", _sequential), ("sub", _subclassed))}


# -- what a drawing says ---------------------------------------------------------------------------------------
def _canonical(text):
    # Ops on symbolic tensors are named automatically ("add", "add_3"): the counter depends on what the process
    # built before.
    return re.sub(r"\badd_\d+\b", "add", text)


def _picture(dot):
    """`({box name: (cluster, label text)}, {(cluster, source name, destination name)})` of a pydot graph; a
    box's name is the first word of its label (the layer name, or the class without layer names)."""
    boxes, names, edges = {}, {}, []

    def walk(graph, cluster):
        for node in graph.get_nodes():
            label = node.get("label")
            if label is None or node.get_name() in ("node", "edge", "graph"):  # defaults, not boxes
                continue
            html_label = label.strip('"')[1:-1]  # Graphviz writes HTML labels as <...>
            text = _canonical(" ".join(re.sub(r"<[^>]*>", " ", html_label).split()))
            name = text.split(" (")[0]
            names[node.get_name().strip('"')] = name
            boxes[name] = (cluster, text)
        edges.extend((cluster, e.get_source().strip('"'), e.get_destination().strip('"')) for e in graph.get_edges())
        for sub in graph.get_subgraphs():
            walk(sub, sub.get_name().strip('"'))

    walk(dot, "")
    return boxes, {(cluster, names[src], names[dst]) for cluster, src, dst in edges}


def _both(models, name, **options):
    ours, theirs = models[name]
    return (_picture(kerasj.utils.model_to_dot(ours, **options)),
            _picture(keras.utils.model_to_dot(theirs, **options)))


ALL_FACTS = {"show_shapes": True, "show_dtype": True, "show_layer_activations": True, "show_trainable": True}


# -- functional models -----------------------------------------------------------------------------------------
def test_functional_model_names_every_layer_and_edge_as_keras(models):
    ours, theirs = _both(models, "mimo", **ALL_FACTS)
    assert ours == theirs
    boxes, arrows = ours
    assert set(boxes) == {"in_a", "in_b", "emb", "flat", "pa", "pb", "shared", "cat", "out1", "out2", "add"}
    # The shared layer is one box fed by both branches; the second model's call of it draws nothing.
    assert {("", "pa", "shared"), ("", "pb", "shared"), ("", "shared", "cat")} <= arrows
    assert len(arrows) == 11 and not any("other_in" in arrow for arrow in arrows)
    assert "Input shape: [(None, 4), (None, 4)] Output shape: (None, 8)" in boxes["cat"][1]
    assert "Output dtype: int32" in boxes["in_b"][1] and "Input shape" not in boxes["in_b"][1]
    assert "Output dtype: float32" in boxes["emb"][1]
    assert "Activation: softmax" in boxes["out1"][1] and "Activation: linear" in boxes["out2"][1]
    assert boxes["pb"][1].endswith("Non-trainable") and boxes["pa"][1].endswith(" Trainable")
    assert "Trainable" not in boxes["cat"][1]  # no weights, nothing to train


def test_default_labels_are_name_and_class_only(models):
    ours, theirs = _both(models, "mimo")
    assert ours == theirs
    assert ours[0]["cat"][1] == "cat (Concatenate)" and ours[0]["in_a"][1] == "in_a (InputLayer)"


def test_without_layer_names_the_boxes_show_classes(models):
    ours, theirs = models["mimo"]
    dots = [lib.utils.model_to_dot(model, show_layer_names=False) for lib, model in ((kerasj, ours), (keras, theirs))]
    titles = [sorted(re.findall(r"<b>(\w+)</b>", dot.to_string())) for dot in dots]
    assert titles[0] == titles[1]
    assert titles[0] == ["Add", "Concatenate", "Dense", "Dense", "Dense", "Dense", "Dense", "Embedding", "Flatten",
                         "InputLayer", "InputLayer"]
    assert "(Dense)" not in dots[0].to_string() and "shared" not in dots[0].to_string()


@pytest.mark.parametrize("flag, fact", [("show_shapes", "Output shape:"), ("show_dtype", "Output dtype:"),
                                        ("show_layer_activations", "Activation:"), ("show_trainable", "Trainable")])
def test_each_option_adds_only_its_fact(models, flag, fact):
    ours, theirs = _both(models, "mimo", **{flag: True})
    assert ours == theirs
    texts = " ".join(text for _, text in ours[0].values())
    others = {"Output shape:", "Output dtype:", "Activation:", "Trainable"} - {fact}
    assert fact in texts and not any(other in texts for other in others)


# -- nested, Sequential and subclassed models ----------------------------------------------------------------
@pytest.mark.parametrize("expand_nested", [False, True])
def test_nested_models_as_keras(models, expand_nested):
    ours, theirs = _both(models, "nested", expand_nested=expand_nested, show_shapes=True)
    assert ours == theirs
    boxes, arrows = ours
    if expand_nested:
        assert boxes["inner_dense"][0] == "cluster_inner_f" and boxes["s2"][0] == "cluster_inner_s"
        assert "inner_f" not in boxes and "inner_in" in boxes  # a functional model keeps its Input box
        assert {("", "pre", "inner_in"), ("", "pre", "s1"), ("", "inner_dense", "join"), ("", "s2", "join"),
                ("cluster_inner_s", "s1", "s2")} <= arrows
    else:
        assert boxes["inner_s"] == ("", "inner_s (Sequential) Input shape: (None, 4) Output shape: (None, 4)")
        assert ("", "pre", "inner_f") in arrows and "s1" not in boxes


@pytest.mark.parametrize("expand_nested", [False, True])
def test_sequential_model_is_its_chain_of_layers(models, expand_nested):
    ours, theirs = _both(models, "sequential", expand_nested=expand_nested, show_layer_activations=True)
    assert ours == theirs
    boxes, arrows = ours
    assert not any("InputLayer" in text for _, text in boxes.values())  # Keras draws no Input box here
    if expand_nested:
        assert arrows == {("", "q0", "q1"), ("cluster_qin", "q1", "q2"), ("", "q2", "q3")}
    else:
        assert arrows == {("", "q0", "qin"), ("", "qin", "q3")}
    assert boxes["q0"][1] == "q0 (Dense) Activation: tanh"


def test_subclassed_model_is_one_box(models):
    ours, theirs = _both(models, "sub", **ALL_FACTS)
    assert ours == theirs
    assert ours == ({"sub": ("", "sub (Sub) Input shape: ? Output shape: ? Output dtype: ? Trainable")}, set())


def test_unbuilt_model_is_refused_as_in_keras(tmp_path):
    ours, theirs = _subclass_type(kerasj)(), _subclass_type(keras)()
    for fn in ("model_to_dot", "plot_model"):
        with pytest.raises(ValueError) as expected:
            getattr(keras.utils, fn)(theirs)
        with pytest.raises(ValueError) as got:
            getattr(kerasj.utils, fn)(ours, **({"to_file": tmp_path / "m.png"} if fn == "plot_model" else {}))
        assert str(got.value) == str(expected.value)
    assert list(tmp_path.iterdir()) == []


# -- graph attributes and files --------------------------------------------------------------------------------
def test_graph_attributes_as_keras(models):
    ours, theirs = models["mimo"]
    options = {"rankdir": "LR", "dpi": 72, "splines": "line"}
    dots = [m.utils.model_to_dot(model, **options) for m, model in ((kerasj, ours), (keras, theirs))]
    assert dots[0].get_attributes() == dots[1].get_attributes()
    assert (dots[0].get("rankdir"), dots[0].get("dpi"), dots[0].get("splines")) == ("LR", 72, "line")
    assert dots[0].get_node_defaults() == dots[1].get_node_defaults() == [{"shape": "record"}]
    clusters = [m.utils.model_to_dot(model, subgraph=True) for m, model in ((kerasj, ours), (keras, theirs))]
    assert isinstance(clusters[0], pydot.Cluster) and clusters[0].get_name() == "cluster_mimo"
    assert clusters[0].get_attributes() == clusters[1].get_attributes()


def test_png_file_decodes_and_scales_with_dpi(models, tmp_path):
    ours, theirs = models["sequential"]
    result = kerasj.utils.plot_model(ours, tmp_path / "ours.png", show_shapes=True, show_layer_names=True)
    expected = keras.utils.plot_model(theirs, tmp_path / "keras.png", show_shapes=True, show_layer_names=True)
    assert type(result) is type(expected)  # an IPython Image where IPython is installed, else None
    with Image.open(tmp_path / "ours.png") as img, Image.open(tmp_path / "keras.png") as ref:
        img.load()
        assert img.format == "PNG" and img.mode in ("RGB", "RGBA") and min(img.size) > 300
        assert abs(img.width - ref.width) <= 0.1 * ref.width and abs(img.height - ref.height) <= 0.1 * ref.height
    kerasj.utils.plot_model(ours, tmp_path / "small.png", show_shapes=True, show_layer_names=True, dpi=100)
    with Image.open(tmp_path / "small.png") as small:
        assert abs(small.width / img.width - 0.5) < 0.05  # dpi 100 is half of the default 200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keras.png", "ours.png", "small.png"]  # no temporaries


def test_svg_dot_pdf_and_extensionless_outputs(models, tmp_path):
    ours, theirs = models["nested"]
    shown = {name: kerasj.utils.plot_model(ours, tmp_path / name, show_layer_names=True, expand_nested=True)
             for name in ("m.svg", "m.dot", "m.pdf", "m")}
    from IPython import display  # installed with the notebooks' kernel (dev extra)
    assert isinstance(shown["m.svg"], display.SVG) and isinstance(shown["m"], display.Image)
    assert shown["m.dot"] is None and shown["m.pdf"] is None
    root = ElementTree.parse(tmp_path / "m.svg").getroot()
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and {"x", "pre", "s1", "s2", "post"} <= texts
    # The .dot file is Graphviz's laid-out source: the same boxes, clusters and number of arrows as Keras's graph.
    source = (tmp_path / "m.dot").read_text()
    boxes, arrows = _picture(keras.utils.model_to_dot(theirs, show_layer_names=True, expand_nested=True))
    assert source.startswith("digraph") and source.count(" -> ") == len(arrows) == 8
    assert all(f"<b>{name}</b> (" in source for name in boxes)
    assert "subgraph cluster_inner_f" in source and "subgraph cluster_inner_s" in source
    assert (tmp_path / "m.pdf").read_bytes()[:5] == b"%PDF-"
    assert (tmp_path / "m").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # no extension: PNG, as Keras


def test_a_failed_render_leaves_no_file(models, tmp_path):
    target = tmp_path / "m.nosuchformat"
    with pytest.raises(Exception) as expected:
        keras.utils.plot_model(models["mimo"][1], tmp_path / "k.nosuchformat")
    with pytest.raises(type(expected.value)):
        kerasj.utils.plot_model(models["mimo"][0], target)
    assert not target.exists() and not any(p.name.startswith(".m.") for p in tmp_path.iterdir())


# -- missing dependencies and bad arguments --------------------------------------------------------------------
def test_missing_pydot_raises_keras_import_errors(models, tmp_path, monkeypatch):
    expected = {}
    with monkeypatch.context() as patch:
        patch.setattr(keras_visualization, "pydot", None)
        for fn in ("model_to_dot", "plot_model"):
            with pytest.raises(ImportError) as info:
                getattr(keras.utils, fn)(models["mimo"][1])
            expected[fn] = str(info.value)
    for name in ("pydot", "pydot_ng", "pydotplus"):
        monkeypatch.setitem(sys.modules, name, None)
    for fn in ("model_to_dot", "plot_model"):
        with pytest.raises(ImportError) as info:
            getattr(kerasj.utils, fn)(models["mimo"][0])
        assert str(info.value) == expected[fn] and "pip install pydot" in expected[fn]


def test_missing_graphviz_raises_or_prints_in_a_notebook(models, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program to find
    with pytest.raises(ImportError) as expected:
        keras.utils.plot_model(models["mimo"][1], tmp_path / "k.png")
    with pytest.raises(ImportError) as got:
        kerasj.utils.plot_model(models["mimo"][0], tmp_path / "j.png")
    assert str(got.value) == str(expected.value) and "install graphviz" in str(got.value)
    # Inside IPython Keras prints the message and returns None, so a notebook cell does not fail.
    monkeypatch.setitem(sys.modules, "IPython.core.magics.namespace", types.ModuleType("namespace"))
    capsys.readouterr()
    assert keras.utils.plot_model(models["mimo"][1], tmp_path / "k.png") is None
    printed = capsys.readouterr().out
    assert kerasj.utils.plot_model(models["mimo"][0], tmp_path / "j.png") is None
    assert capsys.readouterr().out == printed and "install graphviz" in printed
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments(models, tmp_path):
    model = models["mimo"][0]
    with pytest.raises(ValueError, match="`layer_range` is no longer supported"):
        kerasj.utils.plot_model(model, tmp_path / "m.png", layer_range=["pa", "cat"])
    with pytest.raises(ValueError, match="Unrecognized keyword arguments: {'show_colors': True}"):
        kerasj.utils.model_to_dot(model, show_colors=True)
    with pytest.raises(ValueError, match=r"`rankdir` must be one of \['TB', 'LR', 'BT', 'RL'\]; received "
                                         "rankdir='sideways'"):
        kerasj.utils.model_to_dot(model, rankdir="sideways")
    with pytest.raises(ValueError, match="`dpi` must be a positive number; received dpi=0"):
        kerasj.utils.plot_model(model, tmp_path / "m.png", dpi=0)
    with pytest.raises(TypeError, match="`model` must be a Keras model"):
        kerasj.utils.model_to_dot("model")
    assert list(tmp_path.iterdir()) == []


def test_signatures_match_keras():
    import inspect
    for fn in ("plot_model", "model_to_dot"):
        assert inspect.signature(getattr(kerasj.utils, fn)) == inspect.signature(getattr(keras.utils, fn))


def test_importing_kerasj_utils_imports_no_pydot():
    code = ("import sys, kerasj.utils; from kerasj.utils import model_visualization as mv; "
            "assert kerasj.utils.plot_model is mv.plot_model and kerasj.utils.model_to_dot is mv.model_to_dot; "
            "print([m for m in ('pydot', 'pydot_ng', 'pydotplus', 'IPython') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
