"""Branch reports: the per-branch context, the sections, display helpers and the run pipeline."""
