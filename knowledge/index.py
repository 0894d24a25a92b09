"""BM25 search over passages, with bm25s (sparse-matrix BM25, MIT licence)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import bm25s  # type: ignore[import-untyped]

from knowledge.passages import Passage

# English stop words are dropped so that questions match on their content words.
_STOPWORDS = "en"


@dataclass(frozen=True, slots=True)
class Hit:
    passage: Passage
    score: float


class PassageIndex:
    """An immutable BM25 index of passages; build it once, search it many times."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self._passages = tuple(passages)
        self._retriever: bm25s.BM25 | None = None
        if self._passages:
            tokens = bm25s.tokenize(
                [f"{p.title} {p.text}" for p in self._passages],
                stopwords=_STOPWORDS,
                show_progress=False,
            )
            # bm25s cannot index a corpus without a word outside its stop list, and such an
            # index could not match any query anyway.
            if tokens.vocab:
                self._retriever = bm25s.BM25()
                self._retriever.index(tokens, show_progress=False)

    def __len__(self) -> int:
        return len(self._passages)

    def search(
        self, query: str, k: int = 5, *, hidden: Callable[[Passage], bool] | None = None
    ) -> list[Hit]:
        """Return up to ``k`` passages that share words with ``query``, best first.

        Passages for which ``hidden`` returns true are left out, and as many more are
        retrieved, so that they never take the place of passages the caller may read.
        """
        if self._retriever is None or not query.strip():
            return []
        tokens = bm25s.tokenize([query], stopwords=_STOPWORDS, show_progress=False)
        if not tokens.vocab:
            return []
        left_out = sum(1 for passage in self._passages if hidden(passage)) if hidden else 0
        limit = min(k + left_out, len(self._passages))
        ids, scores = self._retriever.retrieve(tokens, k=limit, show_progress=False)
        hits = [
            Hit(self._passages[int(index)], float(score))
            for index, score in zip(ids[0], scores[0], strict=True)
            if score > 0
        ]
        if hidden is not None:
            hits = [hit for hit in hits if not hidden(hit.passage)]
        return hits[:k]
