"""The prompts sent to the model, as template files (the long stable part first). Data only;
rendered by `workers/pipeline/prompts/`."""
