"""GitHub adapter: the port the pipeline sees and the githubkit client behind it."""
