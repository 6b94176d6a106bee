"""auditpack: assess an AWS account against NIST SP 800-53 Rev. 5 and write an auditor-ready evidence pack."""

__version__ = "0.1.0"
