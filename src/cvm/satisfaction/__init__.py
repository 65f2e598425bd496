"""Customer satisfaction surveys: indices and the structural (PLS path) model."""
