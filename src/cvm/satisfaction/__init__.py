"""Customer satisfaction: survey responses, the 1000-point index, NPS and CSAT, importance,
and the structural (PLS path) model."""
