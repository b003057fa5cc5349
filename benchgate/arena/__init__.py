"""Model-based evaluation in an arena: candidates answer, judges compare or grade the answers,
ratings (Elo, Bradley-Terry, win rates) rank the candidates. See docs/arena.md."""
