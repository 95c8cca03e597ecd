"""The compiler's passes, one concern per module; ``retrograd.pipeline`` runs them in order."""
