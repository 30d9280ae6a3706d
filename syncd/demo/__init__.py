"""``syncd demo``: syncd end to end with sample data and no credentials."""
