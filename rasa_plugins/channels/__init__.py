"""Input channels the Rasa server loads from credentials.yml (named by module path)."""
