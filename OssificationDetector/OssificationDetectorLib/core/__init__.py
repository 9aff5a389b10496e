"""Layer 0, the base: the six classes and 17 areas of a left hand, boxes, the average hand, atomic writes.

Imports nothing of the Lib. Everything else may import it."""
