"""load_img / img_to_array / array_to_img / save_img / smart_resize against Keras 3: small PNG, JPEG, BMP and
GIF files written with Pillow, read and converted by both with the same arguments, must give the same images
(mode, size, every pixel) and arrays (dtype, shape, values); the same arrays written by both decode alike."""
import inspect
import io
import subprocess
import sys
import types

import jax
import keras
import keras.preprocessing.image as keras_image
import numpy as np
import pytest
from PIL import Image

import kerasj
from kerasj.preprocessing import image as kerasj_image
from kerasj.utils import image_utils

NAMES = ("load_img", "img_to_array", "array_to_img", "save_img", "smart_resize")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """7x10 images of every mode load_img converts from: RGB, RGBA, 8-bit and 16-bit grey, palette."""
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (7, 10, 3), dtype=np.uint8)
    images = {"rgb.png": Image.fromarray(rgb), "rgb.jpg": Image.fromarray(rgb), "rgb.bmp": Image.fromarray(rgb),
              "rgba.png": Image.fromarray(np.dstack([rgb, rgb[..., :1]])),
              "grey.png": Image.fromarray(rgb[..., 0]),
              "grey16.png": Image.fromarray(rgb[..., 0].astype(np.uint16) * 250),
              "palette.gif": Image.fromarray(rgb).convert("P")}
    for name, img in images.items():
        img.save(folder / name)
    return folder


def _same_image(ours, theirs):
    assert (ours.mode, ours.size) == (theirs.mode, theirs.size)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


@pytest.mark.parametrize("name", ["rgb.png", "rgb.jpg", "rgb.bmp", "rgba.png", "grey.png", "grey16.png",
                                  "palette.gif"])
def test_load_img_matches_keras(files, name):
    for color_mode in ("grayscale", "rgb", "rgba"):
        for target_size in (None, (7, 10), (5, 4), (3, 9)):
            for interpolation in ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos"):
                for keep in (False, True):
                    args = (files / name, color_mode, target_size, interpolation, keep)
                    _same_image(kerasj.utils.load_img(*args), keras.utils.load_img(*args))
    assert kerasj.utils.load_img(files / name, "rgba").mode == "RGBA"
    assert kerasj.utils.load_img(files / name, target_size=(3, 9)).size == (9, 3)  # PIL sizes are (width, height)


def test_grayscale_keeps_deep_grey_levels(files):
    img = kerasj.utils.load_img(files / "grey16.png", color_mode="grayscale")
    assert img.mode in ("I", "I;16") and np.asarray(img).max() > 255  # not squeezed into 8 bits


def test_keep_aspect_ratio_resizes_the_centred_crop(files):
    # A 7x10 image to 7x7: the crop is columns 1..7 (10 - 7 = 3 spare, 1 on the left), then an identity resize.
    original = np.asarray(Image.open(files / "rgb.png"))
    got = kerasj.utils.load_img(files / "rgb.png", target_size=(7, 7), keep_aspect_ratio=True)
    np.testing.assert_array_equal(np.asarray(got), original[:, 1:8])


def test_load_img_path_kinds(files):
    expected = np.asarray(keras.utils.load_img(str(files / "rgb.png")))
    with open(files / "rgb.png", "rb") as f:
        data = f.read()
    for path in (str(files / "rgb.png"), files / "rgb.png", str(files / "rgb.png").encode(), io.BytesIO(data)):
        np.testing.assert_array_equal(np.asarray(kerasj.utils.load_img(path)), expected)
    for bad in (42, None):
        with pytest.raises(TypeError) as theirs:
            keras.utils.load_img(bad)
        with pytest.raises(TypeError) as ours:
            kerasj.utils.load_img(bad)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(FileNotFoundError):
        kerasj.utils.load_img(files / "missing.png")


def test_load_img_bad_arguments(files):
    path = files / "rgb.png"
    with pytest.raises(ValueError) as theirs:
        keras.utils.load_img(path, color_mode="bgr")
    with pytest.raises(ValueError, match="received color_mode='bgr'") as ours:
        kerasj.utils.load_img(path, color_mode="bgr")
    assert str(theirs.value) in str(ours.value)
    with pytest.raises(ValueError, match="Invalid interpolation method"):
        keras.utils.load_img(path, target_size=(3, 3), interpolation="cubic")
    with pytest.raises(ValueError, match="Invalid interpolation method 'cubic' specified. Supported methods are "
                                         "nearest, bilinear, bicubic, hamming, box, lanczos"):
        kerasj.utils.load_img(path, target_size=(3, 3), interpolation="cubic")
    for size in ((0, 3), (3,), "33", (2.5, 3)):
        with pytest.raises(ValueError, match="`target_size` must be a tuple of 2 positive integers"):
            kerasj.utils.load_img(path, target_size=size)


@pytest.fixture
def floatx():
    """Set both libraries' default float dtype, restored afterwards."""
    before = kerasj.config.floatx(), keras.config.floatx()

    def set_both(dtype):
        kerasj.config.set_floatx(dtype)
        keras.config.set_floatx(dtype)
    yield set_both
    kerasj.config.set_floatx(before[0])
    keras.config.set_floatx(before[1])


def test_img_to_array_matches_keras(files, floatx):
    for name, mode in (("rgb.png", "rgb"), ("rgba.png", "rgba"), ("grey.png", "grayscale"), ("grey16.png",
                                                                                               "grayscale")):
        img = keras.utils.load_img(files / name, color_mode=mode)
        for data_format in (None, "channels_last", "channels_first"):
            for dtype in (None, "uint8", "float16", "int32"):
                ours = kerasj.utils.img_to_array(img, data_format, dtype)
                theirs = keras.utils.img_to_array(img, data_format, dtype)
                assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
                np.testing.assert_array_equal(ours, theirs)
    img = keras.utils.load_img(files / "grey.png", color_mode="grayscale")
    assert kerasj.utils.img_to_array(img, "channels_first").shape == (1, 7, 10)
    floatx("float16")
    assert kerasj.utils.img_to_array(img).dtype == keras.utils.img_to_array(img).dtype == np.float16
    with pytest.raises(ValueError) as theirs:
        keras.utils.img_to_array(np.zeros((1, 2, 3, 4)))
    with pytest.raises(ValueError) as ours:
        kerasj.utils.img_to_array(np.zeros((1, 2, 3, 4)))
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="data_format"):
        kerasj.utils.img_to_array(img, data_format="channels_middle")


def test_array_to_img_matches_keras(rng):
    arrays = [rng.random((4, 5, 3)), rng.random((4, 5, 4)) * 3 - 1, rng.random((4, 5, 1)), np.zeros((4, 5, 3)),
              rng.random((4, 5, 1)) * 1000, rng.integers(0, 256, (4, 5, 3)), rng.integers(-300, 300, (4, 5, 3))]
    for x in arrays:
        for scale in (True, False):
            for data_format in ("channels_last", "channels_first"):
                given = x.transpose(2, 0, 1) if data_format == "channels_first" else x
                for dtype in (None, "float64"):
                    _same_image(kerasj.utils.array_to_img(given, data_format, scale, dtype),
                                keras.utils.array_to_img(given, data_format, scale, dtype))
    assert kerasj.utils.array_to_img(rng.random((4, 5, 1)) * 1000, scale=False).mode == "I"
    scaled = np.asarray(kerasj.utils.array_to_img(np.array([[[0.0], [0.5]], [[1.0], [0.25]]])))
    np.testing.assert_array_equal(scaled, [[0, 127], [255, 63]])  # min to 0, max to 255, truncated
    for bad in (np.zeros((4, 5)), np.zeros((4, 5, 2)), np.zeros((1, 4, 5, 3))):
        with pytest.raises(ValueError) as theirs:
            keras.utils.array_to_img(bad)
        with pytest.raises(ValueError) as ours:
            kerasj.utils.array_to_img(bad)
        assert str(ours.value) == str(theirs.value)


def test_save_img_round_trips_and_matches_keras(tmp_path, rng):
    x = rng.integers(0, 256, (6, 8, 3)).astype("float32")
    for name in ("a.png", "a.bmp", "a.jpg", "a.jpeg", "a.tif"):
        kerasj.utils.save_img(tmp_path / name, x, scale=False)
        ours = np.asarray(Image.open(tmp_path / name))
        if name == "a.tif":  # Keras cannot write .tif (Pillow knows the format as TIFF)
            np.testing.assert_array_equal(ours, x.astype("uint8"))
            continue
        keras.utils.save_img(tmp_path / f"keras_{name}", x, scale=False)
        np.testing.assert_array_equal(ours, np.asarray(Image.open(tmp_path / f"keras_{name}")))
        if not name.endswith(("jpg", "jpeg")):
            np.testing.assert_array_equal(ours, x.astype("uint8"))  # lossless formats give the array back
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no temporaries left behind
    # channels_first, scaling, a str path, a file object with file_format, Pillow options.
    first = rng.random((1, 6, 8))
    kerasj.utils.save_img(str(tmp_path / "g.png"), first, data_format="channels_first")
    keras.utils.save_img(str(tmp_path / "keras_g.png"), first, data_format="channels_first")
    _same_image(Image.open(tmp_path / "g.png"), Image.open(tmp_path / "keras_g.png"))
    buffer = io.BytesIO()
    kerasj.utils.save_img(buffer, x, file_format="png", scale=False)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(buffer.getvalue()))), x.astype("uint8"))
    sizes = []
    for quality in (5, 95):
        kerasj.utils.save_img(tmp_path / f"q{quality}.jpg", rng.random((32, 32, 3)), quality=quality)
        sizes.append((tmp_path / f"q{quality}.jpg").stat().st_size)
    assert sizes[0] < sizes[1]


def test_save_img_rgba_as_jpeg_warns_and_drops_alpha(tmp_path, rng):
    x = rng.integers(0, 256, (6, 8, 4)).astype("float32")
    with pytest.warns(UserWarning, match="The JPEG format does not support RGBA images, converting to RGB."):
        keras.utils.save_img(tmp_path / "keras.jpg", x, scale=False)
    with pytest.warns(UserWarning, match="The JPEG format does not support RGBA images, converting to RGB."):
        kerasj.utils.save_img(tmp_path / "ours.jpg", x, scale=False)
    _same_image(Image.open(tmp_path / "ours.jpg"), Image.open(tmp_path / "keras.jpg"))
    assert Image.open(tmp_path / "ours.jpg").mode == "RGB"


def test_save_img_failures_leave_the_old_file(tmp_path):
    target = tmp_path / "a.png"
    target.write_bytes(b"old")
    with pytest.raises(ValueError, match="cannot tell the image format from the extension '.nosuch'"):
        kerasj.utils.save_img(tmp_path / "a.nosuch", np.zeros((2, 2, 3)))
    with pytest.raises((KeyError, ValueError)):  # Keras passes the extension to Pillow as the format name
        keras.utils.save_img(tmp_path / "a.nosuch", np.zeros((2, 2, 3)))
    with pytest.raises(OSError):  # a 32-bit grey image cannot be a JPEG: Pillow fails mid-save
        kerasj.utils.save_img(target, np.full((2, 2, 1), 1000.0), file_format="jpeg", scale=False)
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


# Every interpolation, both layouts, single images and batches, crops along either axis (each resize compiles,
# so a few cases rather than the full product).
@pytest.mark.parametrize("shape, size, interpolation, data_format", [
    ((7, 10, 3), (4, 4), "bilinear", "channels_last"), ((2, 7, 10, 3), (3, 8), "nearest", "channels_last"),
    ((10, 7, 1), (9, 2), "bicubic", "channels_last"), ((3, 5, 6), (4, 4), "lanczos3", "channels_first"),
    ((2, 3, 6, 5), (2, 5), "lanczos5", "channels_first"), ((2, 3, 6, 5), (6, 2), "bilinear", "channels_first")])
def test_smart_resize_matches_keras(rng, shape, size, interpolation, data_format):
    x = rng.random(shape).astype("float32")
    ours = kerasj_image.smart_resize(x, size, interpolation, data_format)
    theirs = keras_image.smart_resize(x, size, interpolation, data_format)
    assert type(ours) is type(theirs) is np.ndarray
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_smart_resize_crops_to_the_aspect_ratio_and_keeps_array_kinds(rng):
    # A 4x8 image to 2x2: the centred 4x4 crop (columns 2..5), then halved by nearest neighbour.
    x = np.arange(32, dtype="float32").reshape(4, 8, 1)
    out = kerasj_image.smart_resize(x, (4, 4), interpolation="nearest")
    np.testing.assert_array_equal(out[..., 0], x[:, 2:6, 0])
    as_jax = kerasj_image.smart_resize(jax.numpy.asarray(x), (2, 2))
    assert isinstance(as_jax, jax.Array)
    assert type(keras_image.smart_resize(jax.numpy.asarray(x), (2, 2))) is type(as_jax)
    np.testing.assert_allclose(as_jax, keras_image.smart_resize(x, (2, 2)), atol=1e-6)
    calls = []
    fake_image = types.SimpleNamespace(resize=lambda img, **kw: calls.append(kw) or kerasj.ops.image.resize(img, **kw))
    backend = types.SimpleNamespace(image=fake_image, convert_to_tensor=kerasj.ops.convert_to_tensor)
    np.testing.assert_allclose(kerasj_image.smart_resize(x, (2, 2), backend_module=backend),
                               kerasj_image.smart_resize(x, (2, 2)))
    assert calls == [{"size": (2, 2), "interpolation": "bilinear", "data_format": "channels_last"}]


def test_smart_resize_bad_arguments():
    x = np.zeros((4, 4, 3))
    for call, error in ((lambda m: m.smart_resize(x, (2, 2, 2)), ValueError),
                        (lambda m: m.smart_resize(np.zeros((4, 4)), (2, 2)), ValueError),
                        (lambda m: m.smart_resize(x, (2, 2), antialias=True), TypeError)):
        with pytest.raises(error) as theirs:
            call(keras_image)
        with pytest.raises(error) as ours:
            call(kerasj_image)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="`size` must be a tuple of 2 positive integers"):
        kerasj_image.smart_resize(x, (0, 2))
    with pytest.raises(ValueError, match="`interpolation` must be one of"):
        kerasj_image.smart_resize(x, (2, 2), interpolation="area")


def test_without_pillow_the_import_errors_are_keras_texts(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    for fn, args in (("load_img", (tmp_path / "a.png",)), ("array_to_img", (np.zeros((2, 2, 3)),)),
                     ("save_img", (tmp_path / "a.png", np.zeros((2, 2, 3))))):
        with pytest.raises(ImportError) as info:
            getattr(kerasj.utils, fn)(*args)
        name = "array_to_img" if fn == "save_img" else fn  # Keras's save_img fails inside array_to_img
        assert str(info.value) == f"Could not import PIL.Image. The use of `{name}` requires PIL."
    # Arrays need no Pillow.
    assert kerasj.utils.img_to_array(np.zeros((2, 3, 3))).shape == (2, 3, 3)
    assert kerasj_image.smart_resize(np.zeros((4, 4, 3)), (2, 2)).shape == (2, 2, 3)
    assert list(tmp_path.iterdir()) == []


def test_names_and_signatures_match_keras():
    for name in NAMES:
        ours = getattr(kerasj_image, name)
        assert ours is getattr(image_utils, name)
        assert inspect.signature(ours) == inspect.signature(getattr(keras_image, name))
        if name != "smart_resize":  # Keras keeps smart_resize in keras.preprocessing.image only
            assert getattr(kerasj.utils, name) is ours


def test_importing_kerasj_utils_imports_no_pillow():
    code = ("import sys, kerasj.utils, kerasj.preprocessing.image as image; kerasj.utils.load_img; "
            "image.smart_resize; print([m for m in ('PIL', 'PIL.Image') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
