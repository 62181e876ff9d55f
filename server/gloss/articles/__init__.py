"""Articles: a team's stored pages, their search, and related articles."""
