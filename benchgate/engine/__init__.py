"""The evaluation engine: options, collection, prediction, cache, recording, gates."""
