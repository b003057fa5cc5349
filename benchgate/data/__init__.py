"""Dataset file readers (local formats as published) and hub loaders."""
