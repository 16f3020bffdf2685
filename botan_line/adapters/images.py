"""A fan's photo scaled down for the model, in memory (Pillow): never a file, never kept.

The model needs no more than about 512 px (``media.image_px``). A JPEG — what LINE serves — is
decoded at 1/2, 1/4 or 1/8 of its size straight away (``Image.draft``), so a 12-megapixel photo never
exists decoded in full: about 0.6 MB of pixels instead of 36 (its longer side then 504 px: "about
512" is what the model needs). Other formats are decoded whole, so
they are refused above ``MAX_DECODED_PIXELS``. The phone's orientation (EXIF) is applied, a
transparent image gets a white background, an animation its first frame, and the result is a JPEG
without any metadata (no EXIF, no GPS position leaves this function).

Pillow is imported on the first photo only: the web processes never map it, and a worker maps it
(about 2 MB) once fans send photos. The photo is read from a stream: a JPEG from the network is
decoded as it arrives, so neither the file nor its full-size pixels are ever in memory whole.

A photo is a few megabytes, fetched and freed by one of the Layer 2 lane's 32 threads. glibc's
malloc would keep each such buffer in that thread's arena once freed (its mmap threshold rises to
the largest block freed, up to 32 MB), so a burst of photos would leave the worker hundreds of
megabytes larger for good (measured: +274 MB after 20 photos of 8 MB on 20 threads). A fixed
threshold (``release_large_blocks``) keeps large blocks mmapped, so they go back to the system the
moment they are freed (+2 MB after the same burst).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import io
import logging
from typing import BinaryIO

from botan_line.core.ports import Shrunk, UnreadableImage

log = logging.getLogger(__name__)
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter: a fixed threshold also stops its dynamic rise
M_ARENA_MAX = -8  # ... and how many arenas the threads share (one each, by default: 8 per core)
ARENAS = 2
LARGE_BLOCK = 256 * 1024
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")  # what phones send; no decoder of an exotic format is ever run
ORIENTATION = 0x0112  # the EXIF tag a phone turns its photos with
MAX_DECODED_PIXELS = 16_000_000  # what a non-JPEG may decode to (about 64 MB as RGBA, briefly)
MAX_PIXELS = 100_000_000  # what any image may claim to be (a JPEG is decoded far smaller)


@functools.cache
def release_large_blocks() -> bool:
    """Make malloc return every block of ``LARGE_BLOCK`` or more to the system when it is freed
    (glibc only; elsewhere nothing changes). Once per process; True when it took effect."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        done = bool(
            libc is not None
            and libc.mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK)
            and libc.mallopt(M_ARENA_MAX, ARENAS)
        )
    except (OSError, AttributeError):
        done = False
    if not done:
        log.info("large blocks stay with malloc's defaults (not glibc)")
    return done


def draft_scale(longest: int, max_px: int) -> int:
    """How much smaller libjpeg decodes a JPEG (1, 2, 4 or 8): the most that still leaves about
    ``max_px`` on the longer side (a 12-megapixel photo: 1/8, 504 px, 0.6 MB of pixels instead of 36)."""
    return next((k for k in (8, 4, 2) if longest / k >= max_px * 0.9), 1)


def shrink(stream: BinaryIO, max_px: int = 512, quality: int = 80) -> Shrunk:
    """The image on ``stream`` (any format Pillow reads) as a JPEG whose longer side is at most
    ``max_px``. A JPEG is decoded as it is read (from the network: the file is never in memory whole)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(stream, formats=FORMATS) as img:
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise UnreadableImage("too_many_pixels")
            if img.format == "JPEG":  # decode at 1/2, 1/4 or 1/8 of its size: never whole
                scale = draft_scale(max(width, height), max_px)
                img.draft("RGB", (-(-width // scale), -(-height // scale)))
            elif width * height > MAX_DECODED_PIXELS:
                raise UnreadableImage("too_many_pixels")
            orientation = img.getexif().get(ORIENTATION, 1)
            img.load()  # as drafted (an animation: its first frame)
            img.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
            frame = ImageOps.exif_transpose(img) if orientation != 1 else img  # on the small copy
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
