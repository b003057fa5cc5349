"""Writers: results.json, samples.jsonl, the console summary."""
