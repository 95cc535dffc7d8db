"""Geometric and mixing augmentation layers, Pipeline and MaxNumBoundingBoxes on their own: dict inputs
(labels, masks, boxes), label mixing checked against the mixed pixels, inference mode, seeded streams
under compilation, config round trips, saving a Pipeline, a compiled fit, errors; and the geometry ops
against the maths."""
import jax.numpy as jnp
import numpy as np
import pytest

import kerasj
from kerasj import layers, ops

RNG = np.random.default_rng(3)
X = RNG.uniform(0, 255, size=(4, 8, 8, 2)).astype(np.float32)

AUGMENTATIONS = [
    lambda: layers.RandomShear(0.3, 0.2, seed=1),
    lambda: layers.RandomPerspective(scale=0.5, seed=1),
    lambda: layers.RandomErasing(seed=1),
    lambda: layers.RandomElasticTransform(scale=0.5, seed=1),
    lambda: layers.MixUp(alpha=1.0, seed=1),
    lambda: layers.CutMix(seed=1),
]


def test_inactive_at_inference_seeded_and_fresh_in_compiled_steps():
    augmentations = [make() for make in AUGMENTATIONS]
    for layer in augmentations:
        np.testing.assert_array_equal(layer(X.astype(np.uint8), training=False), X.astype(np.uint8))
    # One compiled function for all the layers keeps the test fast; each output is checked on its own.
    step = kerasj.function(lambda images: [layer(images, training=True) for layer in augmentations])
    initial = [np.array(layer.seed_generator.state.numpy()) for layer in augmentations]
    first, second = step(X), step(X)
    # Same seed, same draws: a fresh layer starts from the same state, and rewinding the state to it replays
    # the first outputs (one program reused; eager calls would compile every small op once more).
    for make, start in zip(AUGMENTATIONS, initial):
        np.testing.assert_array_equal(make().seed_generator.state.numpy(), start)
    for layer, start in zip(augmentations, initial):
        layer.seed_generator.state.assign(start)
    replay = step(X)
    for layer, a, b, c in zip(augmentations, first, second, replay):
        assert a.shape == X.shape and not np.allclose(a, b), layer.name  # the seed state advanced
        np.testing.assert_allclose(c, a, rtol=1e-5, atol=1e-3)
        assert layer.weights == [] and len(layer.non_trainable_variables) == 1


def test_random_crop_draws_one_window_per_batch_inside_the_image():
    crop = layers.RandomCrop(3, 5, seed=0)
    x = np.arange(2 * 6 * 7, dtype=np.float32).reshape(2, 6, 7, 1)
    starts = set()
    for _ in range(20):
        out = np.asarray(crop(x))
        top, left = divmod(int(out[0, 0, 0, 0]), 7)
        np.testing.assert_array_equal(out, x[:, top:top + 3, left:left + 5])  # the same window for both images
        starts.add((top, left))
    assert len(starts) > 3 and all(t <= 3 and c <= 2 for t, c in starts)
    assert crop.compute_output_shape((None, 6, 7, 1)) == (None, 3, 5, 1)


def test_shear_moves_rows_sideways_by_the_factor_times_the_row():
    # s_x = 0.5 (or -0.5): output (x, y) reads input (x + s_x y, y); row 2 is shifted by exactly one pixel.
    x = np.tile(np.arange(8, dtype=np.float32), (8, 1))[None, :, :, None]
    out = np.asarray(layers.RandomShear(x_factor=(0.5, 0.5), seed=0, fill_mode="nearest")(x))[0, :, :, 0]
    shift = out[2, 0] - x[0, 2, 0, 0]
    assert abs(shift) == 1.0 and np.allclose(out[4, 2:6], np.arange(2, 6) + 2 * shift)


def test_segmentation_masks_are_warped_like_the_images_with_nearest():
    classes = RNG.integers(0, 3, size=(4, 8, 8, 1)).astype(np.float32)
    for layer in (layers.RandomShear(0.4, 0.4, interpolation="nearest", seed=2),
                  layers.RandomPerspective(scale=0.6, interpolation="nearest", seed=2),
                  layers.RandomRotation(0.3, interpolation="nearest", seed=2), layers.RandomCrop(5, 6, seed=2)):
        out = layer({"images": classes, "segmentation_masks": classes.astype(np.int32), "labels": np.eye(4)})
        np.testing.assert_array_equal(out["segmentation_masks"], out["images"])
        np.testing.assert_array_equal(out["labels"], np.eye(4))  # labels pass through
        assert out["segmentation_masks"].dtype == jnp.int32 or isinstance(layer, layers.RandomCrop)


def test_mix_up_mixes_labels_with_the_same_weights_as_the_images():
    # Images of constant 0 and 1 with labels [1, 0] and [0, 1]: a mixed image's value is its label[1].
    # A batch of 4 as X: the Beta draw (a large program to compile) is shared with the boxes test below.
    images = np.stack([np.zeros((4, 4, 1)), np.ones((4, 4, 1))] * 2).astype(np.float32)
    labels = np.tile(np.eye(2, dtype=np.float32), (2, 1))
    out = layers.MixUp(alpha=1.0, seed=5)({"images": images, "labels": labels})  # a seed whose partners differ
    np.testing.assert_allclose(out["images"][:, 0, 0, 0], out["labels"][:, 1], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(out["labels"]).sum(axis=1), 1.0, rtol=1e-6)
    assert np.ptp(np.asarray(out["images"])[:, :, :, 0], axis=(1, 2)).max() == 0  # a blend, not a patch
    assert not np.allclose(out["labels"], labels)


def test_cut_mix_pastes_one_box_and_weights_labels_by_its_area():
    images = np.stack([np.zeros((16, 16, 1)), np.ones((16, 16, 1))] * 4).astype(np.float32)
    labels = np.tile(np.eye(2, dtype=np.float32), (4, 1))
    layer = layers.CutMix(seed=4)
    t = layer.get_random_transformation(images)
    out = layer.transform_images(images, t)
    mixed = layer.transform_labels(labels, t)
    partner = np.asarray(t["permutation_order"])
    for i in range(8):
        pasted = np.asarray(t["batch_masks"])[i, :, :, 0]
        np.testing.assert_array_equal(np.asarray(out)[i, :, :, 0], np.where(pasted, images[partner[i], 0, 0, 0],
                                                                              images[i, 0, 0, 0]))
        rows, cols = np.nonzero(pasted.any(axis=1))[0], np.nonzero(pasted.any(axis=0))[0]
        if rows.size:  # one rectangle
            assert pasted[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()
        # the label weight is the uncovered share of the (fractional) box; the pixel count is within its edges
        share = 1.0 - float(t["mix_weight"][i])
        assert abs(pasted.mean() - share) <= 4 * 16 / 256 + 1e-6
    np.testing.assert_allclose(mixed, t["mix_weight"][:, None] * labels + (1 - t["mix_weight"][:, None])
                               * labels[partner], rtol=1e-6)


def test_erasing_fills_a_box_with_the_constant_and_keeps_labels_masks_and_boxes():
    boxes = {"boxes": np.ones((4, 2, 4), np.float32), "labels": np.ones((4, 2), np.int32)}
    layer = layers.RandomErasing(factor=(1.0, 1.0), scale=(0.25, 0.25), fill_value=7.0, bounding_box_format="xyxy")
    out = layer({"images": X, "segmentation_masks": X[..., :1], "bounding_boxes": boxes})
    erased = np.asarray(out["images"]) == 7.0
    assert np.all(erased.any(axis=(1, 2, 3)))  # probability 1
    assert np.all(erased.mean(axis=(1, 2, 3)) <= 0.25 + 2 * 8 / 64)  # a box of 1/2 x 1/2 (fractional edges)
    np.testing.assert_array_equal(out["segmentation_masks"], X[..., :1])
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"], boxes["boxes"])


def test_mix_up_joins_the_partner_boxes_and_max_num_bounding_boxes_pads():
    boxes = {"boxes": RNG.uniform(size=(4, 2, 4)).astype(np.float32), "labels": np.arange(8).reshape(4, 2)}
    out = layers.MixUp(seed=0, bounding_box_format="xyxy")({"images": X, "bounding_boxes": boxes})
    assert out["bounding_boxes"]["boxes"].shape == (4, 4, 4) and out["bounding_boxes"]["labels"].shape == (4, 4)
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"][:, :2], boxes["labels"])
    padded = layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")({"images": X[0], "bounding_boxes": {
        "boxes": boxes["boxes"][0], "labels": boxes["labels"][0]}})
    np.testing.assert_array_equal(padded["bounding_boxes"]["labels"], [0, 1, -1])
    assert padded["bounding_boxes"]["boxes"].shape == (3, 4) and padded["images"].shape == X[0].shape


def test_random_crop_moves_boxes_into_the_window_and_drops_empty_ones():
    boxes = {"boxes": np.array([[[2, 2, 6, 6], [0, 0, 9, 1]]], np.float32), "labels": np.array([[1, 2]])}
    layer = layers.RandomCrop(4, 5, seed=0, bounding_box_format="xyxy")
    image = np.arange(8 * 9, dtype=np.float32).reshape(1, 8, 9, 1)
    out = layer({"images": image, "bounding_boxes": boxes})
    top, left = divmod(int(out["images"][0, 0, 0, 0]), 9)
    expected = np.clip(boxes["boxes"] - [left, top, left, top], 0, [5, 4, 5, 4])
    np.testing.assert_allclose(out["bounding_boxes"]["boxes"], expected)
    empty = (expected[..., 2] - expected[..., 0]) * (expected[..., 3] - expected[..., 1]) == 0
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"], np.where(empty, -1, boxes["labels"]))
    # inference: the centred 7x9 window (aspect 4:5) scaled to 4x5
    whole = {"boxes": np.array([[[0, 0, 9, 7]]], np.float32), "labels": np.array([[1]])}
    out = layer({"images": image, "bounding_boxes": whole}, training=False)
    np.testing.assert_allclose(out["bounding_boxes"]["boxes"], [[[0, 0, 5, 4]]], rtol=1e-6)


def test_single_images_and_their_labels_are_a_batch_of_one():
    out = layers.RandomShear(0.2, seed=0)({"images": X[0], "labels": np.array([0.0, 1.0])})
    assert out["images"].shape == X[0].shape and out["labels"].shape == (2,)
    assert layers.RandomErasing(seed=0)(X[0]).shape == X[0].shape


def test_random_crop_inference_crops_to_aspect_ratio_and_resizes():
    x = np.arange(8 * 12, dtype=np.float32).reshape(1, 8, 12, 1)
    out = np.asarray(layers.RandomCrop(4, 4)(x, training=False))
    np.testing.assert_allclose(out, np.asarray(ops.image.resize(x[:, :, 2:10], (4, 4))))  # centred 8x8 box


@pytest.mark.parametrize("layer", [
    layers.RandomCrop(3, 4, seed=5), layers.RandomShear((0.1, 0.2), 0.3, fill_mode="wrap", seed=5),
    layers.RandomPerspective((0.2, 0.5), 0.3, interpolation="nearest", fill_value=2.0),
    layers.RandomErasing(0.5, 0.2, fill_value=[1, 2, 3], value_range=(0, 1)),
    layers.RandomElasticTransform(0.5, (0.2, 0.4), fill_mode="mirror", value_range=(-1, 1)),
    layers.MixUp(0.4, data_format="channels_first"), layers.CutMix((0.2, 0.3), seed=9),
    layers.MaxNumBoundingBoxes(5, fill_value=0, bounding_box_format="yxyx"),
    layers.Pipeline([layers.RandomCrop(4, 4, seed=1), layers.MixUp(seed=2)], name="pipe"),
], ids=lambda layer: type(layer).__name__)
def test_config_round_trip(layer):
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    restored = kerasj.layers.deserialize(kerasj.layers.serialize(layer))
    assert type(restored) is type(layer) and restored.get_config() == config


def test_pipeline_saves_and_loads_inside_a_model(tmp_path):
    pipeline = layers.Pipeline([layers.RandomCrop(6, 6, seed=1), layers.RandomShear(0.2, seed=2)], name="aug")
    model = kerasj.Sequential([kerasj.Input((8, 8, 2)), pipeline, layers.Flatten(), layers.Dense(2)])
    path = tmp_path / "pipe.keras"
    model.save(path)
    loaded = kerasj.saving.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers[0].layers] == ["RandomCrop", "RandomShear"]
    assert loaded.layers[0].get_config() == pipeline.get_config()
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-5, atol=1e-5)


def test_fit_with_crop_and_shear_compiles_once_and_trains():
    crop, shear = layers.RandomCrop(6, 6, seed=0), layers.RandomShear(0.2, 0.2, seed=0)
    model = kerasj.Sequential([kerasj.Input((8, 8, 2)), crop, shear, layers.Flatten(), layers.Dense(2)])
    model.compile("sgd", "mse")
    before = [w.copy() for w in model.get_weights()]
    model.fit(np.concatenate([X, X]) / 255, np.ones((8, 2)), batch_size=2, epochs=1, verbose=0)
    assert model._programs["train"].trace_count == 1
    assert all(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    assert int(crop.seed_generator.state.numpy()[1]) == 4 == int(shear.seed_generator.state.numpy()[1])


# -- errors ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make,match", [
    (lambda: layers.RandomShear(1.5, name="r"), r"RandomShear 'r'.*`x_factor`.*x_factor=1.5"),
    (lambda: layers.RandomShear(y_factor=(0.1, 0.2, 0.3), name="r"), r"`y_factor`"),
    (lambda: layers.RandomShear(fill_mode="mirror", name="r"), r"RandomShear 'r'.*`fill_mode` must be one of"),
    (lambda: layers.RandomCrop(0, 3, name="r"), r"RandomCrop 'r'.*`height`"),
    (lambda: layers.RandomPerspective(scale=1.5, name="r"), r"RandomPerspective 'r'.*`scale`.*\[0, 1\]"),
    (lambda: layers.RandomPerspective(factor=-0.5, name="r"), r"`factor`"),
    (lambda: layers.RandomErasing(fill_value=[1, 2], name="r"), r"RandomErasing 'r'.*`fill_value`"),
    (lambda: layers.RandomElasticTransform(fill_mode="edge", name="r"), r"`fill_mode` must be one of"),
    (lambda: layers.MixUp(alpha=0, name="r"), r"MixUp 'r'.*`alpha` must be a positive number"),
    (lambda: layers.CutMix(factor=2.0, name="r"), r"CutMix 'r'.*`factor`"),
    (lambda: layers.Pipeline([lambda x: x], name="r"), r"Pipeline 'r'.*list of layers"),
])
def test_bad_arguments_raise_clear_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_dict_inputs_raise_clear_errors():
    boxes = {"boxes": np.ones((4, 1, 4)), "labels": np.ones((4, 1))}
    with pytest.raises(ValueError, match=r"RandomShear .*needs an 'images' key"):
        layers.RandomShear(0.1)({"labels": np.ones(4)})
    with pytest.raises(ValueError, match=r"unexpected keys \['pixels'\]"):
        layers.RandomShear(0.1)({"images": X, "pixels": X})
    with pytest.raises(ValueError, match=r"no `bounding_box_format`"):
        layers.RandomShear(0.1)({"images": X, "bounding_boxes": boxes})
    with pytest.raises(NotImplementedError, match=r"RandomElasticTransform .*'bounding_boxes'.*not supported"):
        layers.RandomElasticTransform(bounding_box_format="xyxy")({"images": X, "bounding_boxes": boxes})
    with pytest.raises(NotImplementedError, match=r"CutMix .*'bounding_boxes'"):
        layers.CutMix(bounding_box_format="xyxy")({"images": X, "bounding_boxes": boxes})
    with pytest.raises(ValueError, match=r"RandomCrop .*rank 3.*or 4"):
        layers.RandomCrop(2, 2)(np.ones((4, 4)))


# -- ops against the maths ------------------------------------------------------------------------------
def test_sobel_edges_of_a_ramp_and_ssim_of_equal_images():
    ramp = np.tile(np.arange(6, dtype=np.float32), (5, 1))[None, :, :, None]  # d/dcol = 1
    edges = np.asarray(ops.image.sobel_edges(ramp))
    np.testing.assert_allclose(edges[0, 1:-1, 1:-1, 0, 1], 8.0)  # the kernel sums 1+2+1 weights over 2 columns
    np.testing.assert_allclose(edges[0, 1:-1, 1:-1, 0, 0], 0.0)
    np.testing.assert_allclose(ops.image.ssim(X / 255, X / 255, filter_size=3), np.ones(4), rtol=1e-5)
    assert float(ops.image.ssim(X[0] / 255, X[1] / 255, filter_size=3)) < 0.5


def test_perspective_identity_and_a_shift_and_patches_3d_layout():
    corners = np.array([[0, 0], [7, 0], [0, 7], [7, 7]], np.float32)
    np.testing.assert_allclose(ops.image.perspective_transform(X, corners, corners), X, rtol=1e-5, atol=1e-3)
    shifted = np.asarray(ops.image.perspective_transform(X, corners, corners + [2.0, 0.0]))
    np.testing.assert_allclose(shifted[:, :, 2:], X[:, :, :-2], rtol=1e-5, atol=1e-3)  # content moves right
    volume = np.arange(4 * 4 * 4, dtype=np.float32).reshape(1, 4, 4, 4, 1)
    patches = np.asarray(ops.image.extract_patches_3d(volume, 2))
    np.testing.assert_array_equal(patches[0, 1, 0, 1], volume[0, 2:4, 0:2, 2:4, 0].ravel())
    with pytest.raises(ValueError, match=r"perspective_transform: `start_points` must have shape"):
        ops.image.perspective_transform(X, corners[:3], corners[:3])
    with pytest.raises(ValueError, match=r"sobel_edges: `images` must be rank 4"):
        ops.image.sobel_edges(X[0])
