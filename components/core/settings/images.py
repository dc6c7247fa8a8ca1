"""Reader of the images the stack runs (`images`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from components.core import catalog
from components.core.settings.reader import Reader

IMAGE_REF = re.compile(
    r"^[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@sha256:[0-9a-f]{64})?$"
)
PINNED_TAG = re.compile(r"^v?\d+\.\d+")  # names a release; `latest`, `7` or `alpine` float


def read_images(r: Reader) -> Mapping[str, str]:
    raw = r.structured("images", {}, dict)
    images = dict(catalog.DEFAULT_IMAGES)
    r.unknown_keys("images", raw, catalog.DEFAULT_IMAGES)
    for key, ref in raw.items():
        if key not in catalog.DEFAULT_IMAGES:
            continue
        match = IMAGE_REF.match(ref) if isinstance(ref, str) else None
        if match is None:
            r.problem(f"images.{key}", ref, "expected an image reference such as prom/prometheus:v3.5.0")
            continue
        tag = match.group("tag")
        if "@sha256:" not in ref and (tag is None or not PINNED_TAG.match(tag)):
            r.problem(
                f"images.{key}",
                ref,
                "expected a pinned version tag (at least major.minor, e.g. v3.5.0) or @sha256 digest, never latest, "
                "untagged or floating",
            )
            continue
        images[key] = ref
    return MappingProxyType(images)
