"""Uses of a token in a corpus: the corpus's sentences, an index of their tokens' hidden states, the query."""
