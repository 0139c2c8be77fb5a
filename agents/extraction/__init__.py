"""The extraction role: a job (a page, a site's list, a text) -> its components (components-extracted)."""
