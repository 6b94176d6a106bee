"""The built-in control library (YAML data), shipped inside the package as ``auditpack.controls``."""
