"""Collection: the only part of auditpack that talks to AWS.

Each service module declares resource models and the collectors that fill them; the scheduler runs the
collectors the selected checks need, concurrently over accounts and regions.
"""
