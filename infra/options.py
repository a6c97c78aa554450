"""Resource options shared by the components."""

from __future__ import annotations

import pulumi


def children(parent: pulumi.Resource, opts: pulumi.ResourceOptions | None, *after: pulumi.Resource) -> pulumi.ResourceOptions:
    """Options for a component's children: parented to it, and waiting for whatever the component
    waits for (Pulumi does not hand a component's depends_on down to its children)."""
    inherited = list(opts.depends_on or []) if opts is not None and isinstance(opts.depends_on, list) else []
    return pulumi.ResourceOptions(parent=parent, depends_on=inherited + list(after))
