"""Pulling pinned images (the container refers to the pulled image's id)."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker


def pulled_image(resource_name: str, reference: str, opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
    """Pull `reference` (a pinned tag or digest, checked by settings) and keep it on the host."""
    return docker.RemoteImage(resource_name, name=reference, keep_locally=True, opts=opts).image_id
