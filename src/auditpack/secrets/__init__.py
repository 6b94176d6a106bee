"""Stage 3, finding credentials in AWS configuration values: one engine, fed by every source, run once per scan.

Kingfisher (a vendor-rule scanner, see ``kingfisher.py``) and our AWS-aware rules (``rules.py``) look at the
same candidate values; ``engine.detect`` merges what both find, drops what the allow-list says is a
reference or a placeholder, and returns only masked forms and keyed fingerprints (``Detection``).
"""
