"""One module per output format; each registers its writer with ``auditpack.render.output``."""
