"""The HTTP layer: blueprints, request validation, error handling and configuration."""
