"""Tool use (function calling): BFCL's rules for turning model output into calls and checking them."""
