"""Stage 1, what to assess: the control library, the checks it cites, the organization's config, validated together."""
