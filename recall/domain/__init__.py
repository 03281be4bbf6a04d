"""Pure domain model: rules, lifecycles and maths with no I/O."""
