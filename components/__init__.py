"""promshield components: one ComponentResource per module plus the pure renderers they use."""
