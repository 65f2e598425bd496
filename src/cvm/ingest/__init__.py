"""Reading sources into the canonical tables: parsing values, mapping columns, rejects."""
