"""Model adapter: the port the pipeline sees and the OpenAI-compatible client behind it."""
