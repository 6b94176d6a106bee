"""What auditpack reads from AWS: one module per service, each declaring its typed resources and the read-only
collectors that fill them, plus the inventory that hands them on to the secrets and evaluate stages."""
