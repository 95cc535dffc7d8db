"""Behaviour of the colour augmentation layers and ops: formulas checked against independent computations
(colorsys, numpy histograms), inference mode, seeds and compiled steps, configs and saving, bad arguments,
and a compiled `fit` through a stack of these layers."""
import colorsys

import jax

import numpy as np
import pytest

import kerasj
from kerasj import layers, ops

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, size=(4, 5, 6, 3)).astype("float32")

# Every layer, with arguments that make it change an image (most draws non-degenerate).
ALL = [
    lambda: layers.RandomBrightness(0.3, seed=1),
    lambda: layers.RandomColorDegeneration(0.8, seed=1),
    lambda: layers.RandomColorJitter(brightness_factor=0.2, contrast_factor=0.5, seed=1),
    lambda: layers.RandomGrayscale(0.5, seed=1),
    lambda: layers.RandomHue(0.6, seed=1),
    lambda: layers.RandomSaturation((0.1, 0.9), seed=1),
    lambda: layers.RandomSharpness((0.0, 1.0), seed=1),
    lambda: layers.RandomInvert(0.6, seed=1),
    lambda: layers.RandomPosterization((2, 7), seed=1),
    lambda: layers.Solarization(0.3, (0.2, 0.9), seed=1),
    lambda: layers.RandomGaussianBlur(0.8, sigma=(0.5, 1.0), seed=1),
]
IDS = [type(make()).__name__ for make in ALL]
COMPILED = {"RandomPosterization", "RandomGaussianBlur", "RandomInvert", "RandomColorJitter"}
CASTING = {"RandomSharpness", "Solarization", "RandomGaussianBlur"}  # training=False casts (as in Keras 3)


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_inference_seeds_and_fresh_draws_in_compiled_steps(make):
    layer = make()
    images_u8 = IMAGES.astype("uint8")
    inference = np.asarray(layer(images_u8, training=False))
    np.testing.assert_array_equal(inference, images_u8)
    assert inference.dtype == (np.float32 if type(layer).__name__ in CASTING else np.uint8)
    # A few layers through a compiled function (the fit test below compiles others); the rest eagerly.
    step = kerasj.function(lambda x: layer(x, training=True)) if type(layer).__name__ in COMPILED else layer
    first, second = np.asarray(step(IMAGES)), np.asarray(step(IMAGES))
    assert first.shape == IMAGES.shape and first.dtype == np.float32
    assert not np.allclose(first, second)  # the seed state advanced inside the compiled function
    np.testing.assert_allclose(make()(IMAGES, training=True), first, rtol=1e-5, atol=1e-3)  # same seed
    assert layer.weights == []


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config


def test_autocontrast_and_equalization_apply_in_inference_as_keras_does():
    x = np.array([[[[64.0], [128.0]], [[96.0], [100.0]]]], np.float32)
    out = np.asarray(layers.AutoContrast()(x, training=False))
    np.testing.assert_allclose(out[0, :, :, 0], [[0.0, 255.0], [127.5, 143.4375]], rtol=1e-6)
    np.testing.assert_array_equal(layers.AutoContrast()(np.full((1, 2, 2, 1), 7.0), training=False), 7.0)
    np.testing.assert_array_equal(layers.Equalization()(x, training=False), x)  # Equalization is training-only
    clahe = layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(1, 1), clip_limit=0.0)
    x = RNG.integers(40, 120, size=(1, 8, 8, 1)).astype("float32")
    values = x.astype(int).ravel()
    cdf = np.cumsum(np.bincount(values, minlength=256))
    table = (cdf - cdf[0]) * 255.0 / (64 - cdf[0])  # one tile, no clipping: plain equalization, as floats
    np.testing.assert_allclose(np.asarray(clahe(x, training=False)).ravel(), table[values], rtol=1e-5)
    assert type(clahe).from_config(clahe.get_config()).get_config() == clahe.get_config()


def test_equalization_matches_a_numpy_histogram_equalization():
    x = RNG.integers(40, 120, size=(2, 8, 8, 1)).astype("float32")
    out = np.asarray(layers.Equalization()(x))
    for c in range(1):  # one histogram per channel over the whole batch, as in Keras
        values = x[..., c].astype(int)
        cdf = np.cumsum(np.bincount(values.ravel(), minlength=256))
        cdf_min = cdf[cdf > 0][0]
        table = np.clip(np.round((cdf - cdf_min) * 255 / (cdf[-1] - cdf_min)), 0, 255)
        np.testing.assert_allclose(out[..., c], table[values])
    assert out.min() == 0 and out.max() == 255


def test_rgb_hsv_round_trip_and_colorsys():
    rgb = RNG.uniform(size=(3, 4, 3)).astype("float32")
    hsv = np.asarray(ops.image.rgb_to_hsv(rgb))
    expected = np.array([colorsys.rgb_to_hsv(*p) for p in rgb.reshape(-1, 3)]).reshape(hsv.shape)
    np.testing.assert_allclose(hsv, expected, atol=1e-6)
    np.testing.assert_allclose(ops.image.hsv_to_rgb(hsv), rgb, atol=1e-6)
    np.testing.assert_allclose(ops.image.rgb_to_hsv(np.moveaxis(rgb, -1, 0), data_format="channels_first"),
                               np.moveaxis(expected, -1, 0), atol=1e-6)
    with pytest.raises(ValueError, match="float dtype"):
        ops.image.rgb_to_hsv(np.zeros((2, 2, 3), "uint8"))


def test_gaussian_blur_is_a_normalized_separable_kernel():
    impulse = np.zeros((1, 7, 9, 1), np.float32)
    impulse[0, 3, 4, 0] = 1.0
    kernel = np.asarray(ops.image.gaussian_blur(impulse, kernel_size=(3, 5), sigma=(0.8, 1.5)))[0, :, :, 0]
    gx, gy = np.exp(-0.5 * (np.arange(-1, 2) / 0.8) ** 2), np.exp(-0.5 * (np.arange(-2, 3) / 1.5) ** 2)
    expected = np.zeros((7, 9))
    expected[1:6, 3:6] = np.outer(gy / gy.sum(), gx / gx.sum())  # the first size/sigma run along the width
    np.testing.assert_allclose(kernel, expected, atol=1e-7)


def test_pixel_formulas():
    x = np.array([[[[0.0, 100.0, 255.0]]]], np.float32)
    np.testing.assert_allclose(layers.RandomInvert((1.0, 1.0))(x), 255.0 - x)
    np.testing.assert_allclose(layers.RandomPosterization((2, 2))(x), [[[[0.0, 64.0, 192.0]]]])  # 2 bits kept
    np.testing.assert_allclose(layers.RandomBrightness((0.1, 0.1))(x), np.minimum(x + 25.5, 255.0))
    gray = 0.2989 * 0.0 + 0.5870 * 100.0 + 0.1140 * 255.0
    np.testing.assert_allclose(layers.RandomGrayscale(1.0)(x), np.full((1, 1, 1, 3), gray), rtol=1e-6)
    np.testing.assert_allclose(layers.RandomColorDegeneration((0.5, 0.5))(x), (x + gray) / 2, rtol=1e-6)
    np.testing.assert_allclose(layers.RandomSaturation((0.5, 0.5))(x), x, atol=1e-3)  # factor 0.5: no-op
    np.testing.assert_allclose(layers.RandomSaturation((0.0, 0.0))(x), np.full_like(x, 255.0))  # gray at max
    np.testing.assert_allclose(layers.RandomSharpness((0.5, 0.5))(IMAGES), IMAGES, rtol=1e-6)
    solarized = layers.Solarization(threshold_factor=(0.0, 0.0))(x)  # threshold 0: every value inverted
    np.testing.assert_allclose(solarized, 255.0 - x)


def test_dict_inputs_transform_images_only():
    labels = np.arange(4)
    out = layers.RandomInvert((1.0, 1.0))({"images": IMAGES, "labels": labels})
    np.testing.assert_allclose(out["images"], 255.0 - IMAGES)
    np.testing.assert_array_equal(out["labels"], labels)
    masks = RNG.integers(0, 3, size=(4, 5, 6, 1))
    out = layers.RandomHue(0.5, seed=0)({"images": IMAGES, "segmentation_masks": masks}, training=True)
    np.testing.assert_array_equal(out["segmentation_masks"], masks)  # colour changes move no pixel
    assert not np.allclose(out["images"], IMAGES)


@pytest.mark.parametrize("make,match", [
    (lambda: layers.RandomBrightness(1.5), "RandomBrightness.*factor.*1.5"),
    (lambda: layers.RandomHue(0.5, value_range=5), "value_range"),
    (lambda: layers.RandomGrayscale(2.0), "RandomGrayscale.*factor"),
    (lambda: layers.RandomGaussianBlur(kernel_size=4), "kernel_size.*odd"),
    (lambda: layers.RandomPosterization(9), "factor"),
    (lambda: layers.Solarization(addition_factor=(0.2, 1.5)), "addition_factor"),
    (lambda: layers.Equalization(bins=0), "bins"),
])
def test_bad_arguments_fail_early_with_the_layer_and_argument_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_rank_is_checked():
    with pytest.raises(ValueError, match="rank 3.*or 4"):
        layers.RandomInvert()(np.zeros((2, 3)))


def test_stack_of_color_layers_trains_in_one_compiled_program_and_saves(tmp_path):
    model = kerasj.Sequential([
        kerasj.Input((5, 6, 3)), layers.RandomBrightness(0.2, seed=0), layers.RandomHue(0.2, seed=1),
        layers.RandomSharpness(0.6, seed=2), layers.Solarization(0.1, 0.9, seed=3), layers.AutoContrast(),
        layers.Rescaling(1 / 255), layers.Flatten(), layers.Dense(1)])
    model.compile("sgd", "mse")
    before = [np.array(w) for w in model.get_weights()]
    model.fit(IMAGES, np.ones((4, 1)), epochs=1, batch_size=2, verbose=0)
    assert model._programs["train"].trace_count == 1
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    path = tmp_path / "color.keras"
    model.save(path)
    loaded = kerasj.saving.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    np.testing.assert_allclose(loaded.predict(IMAGES, verbose=0), model.predict(IMAGES, verbose=0), rtol=1e-5)


@pytest.mark.parametrize("make", [
    lambda: layers.RandAugment(num_ops=2, factor=0.5, seed=3),
    lambda: layers.AugMix(num_chains=2, chain_depth=2, all_ops=False, seed=3),
], ids=["RandAugment", "AugMix"])
def test_policies_compiled_path_matches_eager_path(make):
    # Eagerly the chosen operations run one by one; traced, a switch (in a loop or a scan) picks them.
    layer = make()
    x = IMAGES  # the shape the other tests use: the eager path reuses their compiled ops
    transformation = layer.get_random_transformation(x)
    eager = np.asarray(layer.transform_images(x, transformation))
    traced = np.asarray(jax.jit(layer.transform_images)(x, transformation))
    np.testing.assert_allclose(traced, eager, rtol=1e-5, atol=1e-3)
    assert not np.allclose(eager, x)
    np.testing.assert_array_equal(layer(x, training=False), x)  # inference: the input, as float
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config


def test_policies_pick_operations_from_the_seed():
    first = layers.RandAugment(num_ops=4, seed=5).get_random_transformation(IMAGES)["layer_idxes"]
    again = layers.RandAugment(num_ops=4, seed=5).get_random_transformation(IMAGES)["layer_idxes"]
    np.testing.assert_array_equal(first, again)
    # Two chains, as in the test above: the Dirichlet draw (a large program to compile) is reused.
    draws = layers.AugMix(num_chains=2, chain_depth=2, all_ops=False, seed=5).get_random_transformation(IMAGES)
    indices = [int(step["layer_index"]) for chain in draws["chain_transforms"] for step in chain]
    assert all(0 <= i <= 7 for i in indices) and len(set(indices)) > 1
    np.testing.assert_allclose(np.sum(draws["chain_mixing_weights"]), 1.0, rtol=1e-6)
    assert 0.0 <= float(draws["weight_sample"]) <= 1.0
