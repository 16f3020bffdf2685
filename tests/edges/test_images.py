"""A fan's photo scaled down in memory (adapters/images.py): decoded small as it is read, turned the
way the phone held it, stripped of every tag, and refused when it is not an image it should decode."""

from __future__ import annotations

import io

import pytest
from corebot import photo
from fakes import jpeg_size

from botan_line.adapters.images import MAX_DECODED_PIXELS, draft_scale, shrink
from botan_line.core.ports import UnreadableImage


def saved(img, fmt: str = "JPEG", **kw) -> io.BytesIO:
    out = io.BytesIO()
    img.save(out, fmt, **kw)
    out.seek(0)
    return out


def test_a_phone_photo_is_decoded_at_an_eighth_and_comes_out_a_small_jpeg():
    small = shrink(io.BytesIO(photo(4032, 3024)), 512, 80)
    assert (small.width, small.height) == (504, 378) == jpeg_size(small.jpeg)
    assert len(small.jpeg) < 60_000


@pytest.mark.parametrize(
    ("longest", "scale"), [(4032, 8), (2000, 4), (1200, 2), (900, 1), (512, 1), (300, 1)]
)
def test_the_draft_scale_leaves_about_512_pixels(longest, scale):
    assert draft_scale(longest, 512) == scale


def test_smaller_photos_are_scaled_to_the_size_the_model_needs():
    small = shrink(io.BytesIO(photo(1200, 900)), 512, 80)
    assert (small.width, small.height) == (512, 384)
    tiny = shrink(io.BytesIO(photo(300, 200)), 512, 80)
    assert (tiny.width, tiny.height) == (300, 200)  # never scaled up


def test_the_phones_orientation_is_applied_and_no_tag_survives():
    from PIL import Image

    img = Image.open(io.BytesIO(photo(1600, 1200)))
    exif = img.getexif()
    exif[0x0112] = 6  # rotated 90°: the phone was held upright
    exif[0x8825] = {1: "N", 2: (35.0, 39.0, 29.0)}  # a GPS position: never passed on
    small = shrink(saved(img, exif=exif, quality=85), 512, 80)
    assert (small.width, small.height) == (384, 512)
    out = Image.open(io.BytesIO(small.jpeg))
    assert dict(out.getexif()) == {} and "exif" not in out.info


def test_a_transparent_png_gets_a_white_background():
    from PIL import Image

    small = shrink(saved(Image.new("RGBA", (800, 400), (255, 0, 0, 0)), "PNG"), 512, 80)
    pixel = Image.open(io.BytesIO(small.jpeg)).getpixel((10, 10))
    assert all(c > 245 for c in pixel)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not an image at all", "unreadable"),
        (b"%PDF-1.7 a document", "unreadable"),
        (photo(800, 600)[:2000], "corrupt"),
    ],
)
def test_what_is_not_a_readable_photo_is_refused_with_a_reason(data, reason):
    with pytest.raises(UnreadableImage) as found:
        shrink(io.BytesIO(data), 512, 80)
    assert found.value.reason == reason


def test_a_huge_image_that_cannot_be_decoded_small_is_refused_before_decoding():
    from PIL import Image

    side = int(MAX_DECODED_PIXELS**0.5) + 10
    big = saved(Image.new("L", (side, side)), "PNG")
    with pytest.raises(UnreadableImage) as found:
        shrink(big, 512, 80)
    assert found.value.reason == "too_many_pixels"


def test_formats_a_phone_does_not_send_are_never_decoded():
    from PIL import Image

    with pytest.raises(UnreadableImage):
        shrink(saved(Image.new("RGB", (64, 64)), "TIFF"), 512, 80)
