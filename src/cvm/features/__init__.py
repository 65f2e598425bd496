"""Customer features computed from transactions: RFM scores and segments, ABC contribution,
lifecycle stages and the per-customer summaries the value models use."""
