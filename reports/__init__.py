"""Report templates and stylesheets (data), shipped inside the package as ``auditpack.reports``."""
