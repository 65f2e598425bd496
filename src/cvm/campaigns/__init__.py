"""Test and learn: campaigns with control groups, their plan, their measured lift."""
