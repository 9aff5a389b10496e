"""Layer 7: training data and augmentation, the training loop, the background training job, pseudo-labels."""
