"""`wordlens serve` for a class: who may open a page (access), how many at once, whose turn it is to load."""
