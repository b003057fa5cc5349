"""Judge meta-evaluation: how often a judge agrees with human or gold labels (pandalm, llmbar)."""
