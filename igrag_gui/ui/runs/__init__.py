"""The Runs page: compare past runs (curves overlaid, differences, results), rename, delete."""
