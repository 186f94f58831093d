"""The Sweep page: fields to vary, sampler, trials, metric; a live queue and ranking."""
