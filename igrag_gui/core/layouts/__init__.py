"""Other YAML layouts than igrag's own, opened as they are and saved back in their own words."""
