"""Training, evaluation and cross-validation of the signal models, with their dataset readers.

Run as modules (``python -m training.ecg.train_rhythm`` ...). The service never imports this
package: the runtime models, their class names and label maps live in ``classifier``.
"""
