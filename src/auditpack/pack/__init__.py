"""Stage 6, the evidence pack: staged, written, sealed (manifest.json and SHA256SUMS), published, verified, merged."""
