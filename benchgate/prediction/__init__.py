"""Running a model over requests: the Predictor (batched, cached passes), its prediction cache
and its progress lines. Used by the engine, the judge and the arena; imports only the models."""
