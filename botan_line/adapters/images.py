"""A fan's photo scaled down for the model, in memory (Pillow): never a file, never kept.

The model needs no more than about 512 px (``media.image_px``). A JPEG — what LINE serves — is
decoded at 1/2, 1/4 or 1/8 of its size straight away (``Image.draft``), so a 12-megapixel photo never
exists decoded in full: about 0.6 MB of pixels instead of 36. Other formats are decoded whole, so
they are refused above ``MAX_DECODED_PIXELS``. The phone's orientation (EXIF) is applied, a
transparent image gets a white background, an animation its first frame, and the result is a JPEG
without any metadata (no EXIF, no GPS position leaves this function).

Pillow is imported on the first photo only: the web processes never map it, and a worker maps it
(about 2 MB) once fans send photos.
"""

from __future__ import annotations

import io

from botan_line.core.ports import Shrunk, UnreadableImage

MAX_DECODED_PIXELS = 16_000_000  # what a non-JPEG may decode to (about 64 MB as RGBA, briefly)
MAX_PIXELS = 100_000_000  # what any image may claim to be (a JPEG is decoded far smaller)


def shrink(data: bytes, max_px: int = 512, quality: int = 80) -> Shrunk:
    """``data`` (any image Pillow reads) as a JPEG whose longer side is at most ``max_px``."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise UnreadableImage("too_many_pixels")
            if img.format == "JPEG":
                img.draft("RGB", (max_px, max_px))  # decode at a fraction of the size: never whole
            elif width * height > MAX_DECODED_PIXELS:
                raise UnreadableImage("too_many_pixels")
            frame = ImageOps.exif_transpose(img)  # loads it (the first frame of an animation)
            frame.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
            if frame.mode in ("RGBA", "LA", "P"):
                rgba = frame.convert("RGBA")
                frame = Image.new("RGB", rgba.size, "white")
                frame.paste(rgba, mask=rgba.getchannel("A"))
            elif frame.mode != "RGB":
                frame = frame.convert("RGB")
            out = io.BytesIO()
            frame.save(out, "JPEG", quality=quality, optimize=True)
            return Shrunk(out.getvalue(), frame.width, frame.height)
    except UnreadableImage:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise UnreadableImage("unreadable") from None
    except (OSError, ValueError, SyntaxError, MemoryError):  # truncated or corrupt data
        raise UnreadableImage("corrupt") from None
