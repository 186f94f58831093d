"""Small widgets the tabs share: a page built on first show, a plot in the palette."""
