"""EEG: the Bonn reader, and the EEG model's training, evaluation and nested cross-validation."""
