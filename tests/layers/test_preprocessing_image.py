"""Image preprocessing layers on their own: results checked against the math (flips, quarter turns, pixel
shifts, the contrast formula), statistics of the random draws, fresh randomness under compilation,
inference passthrough, and argument errors."""
import jax.numpy as jnp
import numpy as np
import pytest

import kerasj
from kerasj import layers
from kerasj.layers.preprocessing.image_transform import centered_affine

RNG = np.random.default_rng(1)
SQUARE = RNG.uniform(size=(2, 4, 4, 2)).astype(np.float32)


# -- deterministic results from the math ----------------------------------------------------------------
def test_rescaling_is_scale_and_offset_and_casts_integers():
    x = np.array([[0, 51, 255]], dtype=np.uint8)
    out = layers.Rescaling(1 / 127.5, offset=-1.0)(x)
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(out, x / 127.5 - 1.0, rtol=1e-6)


def test_rescaling_per_channel_scale_follows_image_data_format():
    x = np.ones((1, 2, 2, 2), np.float32)
    np.testing.assert_allclose(layers.Rescaling([2.0, 3.0])(x)[0, 0, 0], [2.0, 3.0])
    kerasj.config.set_image_data_format("channels_first")
    try:
        out = layers.Rescaling([2.0, 3.0])(x)  # scale broadcast over axis -3 (channels)
    finally:
        kerasj.config.set_image_data_format("channels_last")
    np.testing.assert_allclose(out[0, :, 0, 0], [2.0, 3.0])


def test_resizing_nearest_doubling_repeats_pixels_and_output_shape():
    x = RNG.uniform(size=(1, 2, 3, 1)).astype(np.float32)
    out = layers.Resizing(4, 6, interpolation="nearest")(x)
    np.testing.assert_array_equal(out, np.repeat(np.repeat(x, 2, axis=1), 2, axis=2))
    assert layers.Resizing(4, 6).compute_output_shape((None, 2, 3, 1)) == (None, 4, 6, 1)
    assert layers.Resizing(4, 6, data_format="channels_first").compute_output_shape((1, 2, 3)) == (1, 4, 6)


def test_center_crop_slices_the_middle_and_drops_odd_pixel_at_the_end():
    x = np.arange(5 * 6, dtype=np.float32).reshape(5, 6, 1)
    out = layers.CenterCrop(2, 3)(x)
    np.testing.assert_array_equal(out, x[1:3, 1:4])  # 3 spare rows: 1 above, 2 below


def test_random_flip_horizontal_mirrors_columns():
    x = RNG.uniform(size=(200, 2, 3, 1)).astype(np.float32)
    out = np.asarray(layers.RandomFlip("horizontal", seed=0)(x, training=True))
    flipped = np.all(out == x[:, :, ::-1], axis=(1, 2, 3))
    assert np.all(flipped | np.all(out == x, axis=(1, 2, 3)))
    assert 0.4 < flipped.mean() < 0.6  # probability 1/2 per image


def test_quarter_turn_rotation_is_counter_clockwise_rot90():
    layer = layers.RandomRotation((0.25, 0.25))  # exactly +90 degrees
    np.testing.assert_allclose(layer(SQUARE, training=True), np.rot90(SQUARE, k=1, axes=(1, 2)), atol=1e-5)


def test_translation_by_whole_pixels_shifts_and_fills_constant():
    # height 4 * 0.25 = one row down, width 4 * -0.5 = two columns left.
    layer = layers.RandomTranslation((0.25, 0.25), (-0.5, -0.5), fill_mode="constant", fill_value=-1.0)
    out = np.asarray(layer(SQUARE, training=True))
    np.testing.assert_allclose(out[:, 1:, :2], SQUARE[:, :-1, 2:], atol=1e-6)
    assert np.all(out[:, 0] == -1.0) and np.all(out[:, :, 2:] == -1.0)


def test_zoom_out_by_two_keeps_centre_and_fills_the_border():
    x = np.ones((1, 5, 5, 1), np.float32)
    out = np.asarray(layers.RandomZoom((1.0, 1.0), fill_mode="constant")(x, training=True))[0, :, :, 0]
    # zoom 2 samples input point 2 * (p - 2) + 2: inside only for p in 1..3 (input 0, 2, 4).
    np.testing.assert_array_equal(out[1:4, 1:4], 1.0)
    assert out[0].sum() == 0 and out[:, 4].sum() == 0


def test_contrast_matches_formula_with_fixed_factor_and_clips():
    x = RNG.uniform(0, 1, size=(2, 3, 3, 2)).astype(np.float32)
    out = layers.RandomContrast((-0.5, 0.5), value_range=(0, 1))(x, training=True)  # factor exactly 1.5
    mean = x.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(out, np.clip((x - mean) * 1.5 + mean, 0, 1), rtol=1e-5, atol=1e-6)


def test_centered_affine_maps_centre_to_itself_for_any_rotation_and_zoom():
    angle = jnp.array([10.0, -70.0])
    t = np.asarray(centered_affine(5, 7, angle=angle, zoom_x=jnp.array([1.3, 0.7]), zoom_y=jnp.array([0.9, 1.1])))
    cx, cy = 3.0, 2.0
    np.testing.assert_allclose(t[:, 0] * cx + t[:, 1] * cy + t[:, 2], cx, atol=1e-5)
    np.testing.assert_allclose(t[:, 3] * cx + t[:, 4] * cy + t[:, 5], cy, atol=1e-5)


# -- training / inference and randomness -----------------------------------------------------------------
AUGMENTATIONS = [
    lambda: layers.RandomFlip(seed=1),
    lambda: layers.RandomRotation(0.2, seed=1),
    lambda: layers.RandomZoom(0.3, seed=1),
    lambda: layers.RandomTranslation(0.3, 0.3, seed=1),
    lambda: layers.RandomContrast(0.8, value_range=(0, 1), seed=1),
]


@pytest.mark.parametrize("make", AUGMENTATIONS, ids=lambda m: type(m()).__name__)
def test_augmentation_inactive_at_inference_and_fresh_in_compiled_steps(make):
    x = RNG.uniform(size=(4, 6, 6, 1)).astype(np.float32)
    layer = make()
    np.testing.assert_array_equal(layer(x, training=False), x)
    step = kerasj.function(lambda images: layer(images, training=True))
    first, second = np.asarray(step(x)), np.asarray(step(x))
    assert first.shape == x.shape and not np.allclose(first, second)  # the seed state advanced
    # Same seed, same draws: a new layer reproduces the first compiled call.
    np.testing.assert_allclose(make()(x, training=True), first, rtol=1e-5, atol=1e-6)
    assert layer.weights == [] and len(layer.non_trainable_variables) == 1  # the seed-generator state


def test_default_training_flag_applies_augmentation_as_keras_does():
    x = RNG.uniform(size=(64, 2, 2, 1)).astype(np.float32)
    assert not np.allclose(layers.RandomFlip("vertical", seed=0)(x), x)  # call's default is training=True


def test_rotation_and_zoom_and_translation_draws_are_uniform_in_range():
    images = np.zeros((2000, 8, 10, 1), np.float32)
    rot = np.asarray(layers.RandomRotation((-0.1, 0.3), seed=0).get_random_transformation(images)["rotation_matrix"])
    angles = np.degrees(np.arctan2(rot[:, 3], rot[:, 0]))
    assert angles.min() >= -36.001 and angles.max() <= 108.001 and abs(angles.mean() - 36) < 3
    zoom = layers.RandomZoom(0.2, seed=0).get_random_transformation(images)
    np.testing.assert_array_equal(zoom["width_zoom"], zoom["height_zoom"])  # width_factor=None keeps the aspect
    z = np.asarray(zoom["height_zoom"])
    assert z.min() >= 0.8 and z.max() <= 1.2 and abs(z.mean() - 1.0) < 0.02
    translation = layers.RandomTranslation(0.0, (0.1, 0.5), seed=0).get_random_transformation(images)
    shift = np.asarray(translation["translations"])[:, 0] / 10
    assert shift.min() >= 0.1 - 1e-6 and shift.max() <= 0.5 + 1e-6 and abs(shift.mean() - 0.3) < 0.01


def test_contrast_factor_of_a_scalar_is_between_one_and_one_plus_factor():
    x = np.tile(np.array([0.0, 1.0], np.float32).reshape(1, 1, 2, 1), (500, 1, 1, 1))
    out = np.asarray(layers.RandomContrast(0.5, value_range=(-10, 10), seed=0)(x, training=True))
    factors = out[:, 0, 1, 0] - out[:, 0, 0, 0]  # contrast of a 0/1 pair is the factor itself
    assert factors.min() >= 1.0 - 1e-6 and factors.max() <= 1.5 + 1e-6 and abs(factors.mean() - 1.25) < 0.02


def test_augmentation_layers_work_in_a_compiled_fit():
    flip = layers.RandomFlip(seed=0)
    model = kerasj.Sequential([kerasj.Input((6, 6, 1)), flip, layers.Flatten(), layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(RNG.uniform(size=(8, 6, 6, 1)), np.ones((8, 1)), epochs=2, batch_size=4, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert int(flip.seed_generator.state.numpy()[1]) == 4  # one fresh draw per training step, written back
    model.predict(np.ones((4, 6, 6, 1)), verbose=0)
    assert int(flip.seed_generator.state.numpy()[1]) == 4  # inference draws nothing


# -- errors ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make,match", [
    (lambda: layers.Rescaling("a", name="r"), r"Rescaling 'r'.*`scale` must be a number"),
    (lambda: layers.Rescaling(1.0, offset={"x": 1}, name="r"), r"Rescaling 'r'.*`offset`"),
    (lambda: layers.Resizing(0, 4, name="r"), r"Resizing 'r'.*`height` must be a positive integer.*height=0"),
    (lambda: layers.Resizing(4, 2.5, name="r"), r"`width` must be a positive integer.*width=2.5"),
    (lambda: layers.Resizing(4, 4, interpolation="area", name="r"), r"Resizing 'r'.*`interpolation` must be one of"),
    (lambda: layers.Resizing(4, 4, fill_mode="reflect", name="r"), r"`fill_mode` must be one of \['constant'\]"),
    (lambda: layers.Resizing(4, 4, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True, name="r"), r"only one of"),
    (lambda: layers.CenterCrop(-1, 4, name="r"), r"CenterCrop 'r'.*`height`"),
    (lambda: layers.RandomFlip(mode="diagonal", name="r"), r"RandomFlip 'r'.*`mode` must be one of"),
    (lambda: layers.RandomRotation(1.5, name="r"), r"RandomRotation 'r'.*`factor`.*\[-1, 1\].*factor=1.5"),
    (lambda: layers.RandomRotation((0.1, 0.2, 0.3), name="r"), r"`factor`"),
    (lambda: layers.RandomRotation("big", name="r"), r"`factor`"),
    (lambda: layers.RandomRotation(0.1, fill_mode="mirror", name="r"), r"`fill_mode` must be one of"),
    (lambda: layers.RandomRotation(0.1, interpolation="bicubic", name="r"), r"`interpolation` must be one of"),
    (lambda: layers.RandomZoom(-1.0, name="r"), r"RandomZoom 'r'.*`height_factor`.*\(-1, 1\]"),
    (lambda: layers.RandomZoom(0.1, width_factor=(0.1, 1.2), name="r"), r"`width_factor`"),
    (lambda: layers.RandomTranslation(0.1, -1.5, name="r"), r"RandomTranslation 'r'.*`width_factor`"),
    (lambda: layers.RandomContrast(-0.2, name="r"), r"RandomContrast 'r'.*`factor`.*\[0, 1\]"),
    (lambda: layers.RandomContrast(0.2, value_range=(1, 0), name="r"), r"`value_range` must be a pair"),
    (lambda: layers.RandomFlip(data_format="nhwc", name="r"), r"`data_format` must be one of"),
])
def test_bad_arguments_raise_clear_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("layer", [layers.CenterCrop(2, 2), layers.Resizing(2, 2), layers.RandomFlip(),
                                   layers.RandomContrast(0.1)], ids=lambda l: type(l).__name__)
def test_wrong_image_rank_names_the_layer(layer):
    with pytest.raises(ValueError, match=rf"{type(layer).__name__} '{layer.name}'.*rank 3.*or 4.*\(4, 4\)"):
        layer(np.ones((4, 4), np.float32), training=True)


def test_random_flip_flips_segmentation_masks_with_their_images_and_takes_keras_transformations():
    import keras
    rng = np.random.default_rng(5)
    x = rng.uniform(size=(6, 5, 5, 3)).astype("float32")
    masks = (x[..., :1] > 0.5).astype("float32")
    theirs = keras.layers.RandomFlip("horizontal_and_vertical", seed=4)
    transformation = theirs.get_random_transformation(x, training=True)
    expected = theirs.transform_images(x, transformation, training=True)
    expected_masks = theirs.transform_segmentation_masks(masks, transformation, training=True)
    ours = kerasj.layers.RandomFlip("horizontal_and_vertical", seed=4)
    flips = {"flips": np.asarray(transformation["flips"])}
    np.testing.assert_allclose(np.asarray(ours.transform_images(x, flips)), np.asarray(expected))
    np.testing.assert_allclose(np.asarray(ours.transform_segmentation_masks(masks, flips)),
                               np.asarray(expected_masks))
    # Through call with a dict: each mask is flipped exactly when its image is.
    out = ours({"images": x, "segmentation_masks": masks}, training=True)
    for image, mask, original, original_mask in zip(np.asarray(out["images"]), np.asarray(out["segmentation_masks"]),
                                                    x, masks):
        turned = np.allclose(image, original[::-1, ::-1])
        assert turned or np.allclose(image, original)
        np.testing.assert_allclose(mask, original_mask[::-1, ::-1] if turned else original_mask)


def test_random_contrast_leaves_segmentation_masks_alone():
    x = np.random.default_rng(6).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    masks = (x[..., :1] > 127).astype("float32")
    out = kerasj.layers.RandomContrast(0.5, seed=1)({"images": x, "segmentation_masks": masks}, training=True)
    np.testing.assert_array_equal(np.asarray(out["segmentation_masks"]), masks)
    assert not np.allclose(np.asarray(out["images"]), x)
