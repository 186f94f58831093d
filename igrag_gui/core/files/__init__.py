"""The user's files, handled safely: bounded parsing, output-folder markers and the trash, safetensors headers."""
