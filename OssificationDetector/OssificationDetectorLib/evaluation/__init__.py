"""Layer 6: metrics (AP@0.5, the paper's centre criterion), reports, the held-out protocol, the benchmark."""
