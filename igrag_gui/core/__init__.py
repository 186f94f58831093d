"""The headless core: config, data, models, training, adapters, generation. Never imports Qt."""
