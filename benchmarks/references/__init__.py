"""Reference solutions and published problem definitions for the frontier benchmark."""
