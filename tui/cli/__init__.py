"""The `wordlens` command (main.py)."""
