"""The Train tab's config form: the form, its field editors and pickers, the method panel."""
